import Foundation
import TesseraTransport

/// Per-round metrics of a run: `metrics.jsonl` (one JSON object per round) and `metrics.csv`.
struct MetricsLog {
    let jsonURL: URL
    let csvURL: URL

    static let csvHeader = "round,sampled,received,late,aggregated,accuracy,loss,seconds,evaluation_seconds,"
        + "federated_workers,federated_samples,federated_accuracy,federated_loss,"
        + "federated_min_accuracy,federated_max_accuracy,train_loss,contributors,aggregation_seconds"

    /// Opens the logs, starting them anew, or for a resumed run keeping the rows of the rounds
    /// up to `committed` (its checkpoint's round). A round's row is written before its
    /// checkpoint, so the checkpoint commits both: a process killed between the two left a row
    /// the resumed run drops and writes again, and a torn last line is dropped too.
    init(directory: URL, resumingAfter committed: Int? = nil) throws {
        jsonURL = directory.appendingPathComponent("metrics.jsonl")
        csvURL = directory.appendingPathComponent("metrics.csv")
        guard let committed else {
            try Self.create(jsonURL, with: "")
            try Self.create(csvURL, with: Self.csvHeader + "\n")
            return
        }
        func round(ofJSON line: Substring) -> Int? {
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["round"] as? Int
        }
        let json = ((try? String(contentsOf: jsonURL, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { round(ofJSON: $0).map { $0 <= committed } ?? false }
        let csv = ((try? String(contentsOf: csvURL, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
            .filter { line in line.split(separator: ",").first.flatMap { Int($0) }.map { $0 <= committed } ?? false }
        try Self.create(jsonURL, with: json.map { $0 + "\n" }.joined())
        try Self.create(csvURL, with: ([Substring(Self.csvHeader)] + csv).map { $0 + "\n" }.joined())
    }

    /// Creates (or replaces) `url` with `text`, written whole beside it and renamed into place:
    /// a resumed run stopped mid-write (or out of disk) keeps its rows.
    private static func create(_ url: URL, with text: String) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw SchedulerError.writeFailed(path: url.path, reason: FileFailure.reason(error))
        }
    }

    func append(_ result: RoundResult) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try appendLine(String(decoding: try encoder.encode(result), as: UTF8.self), to: jsonURL)
        // A private run's fields outside ε, when withheld, are empty cells.
        func kept(_ name: String, _ text: String) -> String { result.withheld.contains(name) ? "" : text }
        let federated = result.federated.map {
            [String($0.workers), String($0.samples), String($0.accuracy), String($0.loss),
             String($0.minimumAccuracy), String($0.maximumAccuracy)].map { kept("federated", $0) }
        } ?? Array(repeating: "", count: 6)
        try appendLine(([String(result.round), kept("sampled", String(result.sampled)), kept("received", String(result.received)),
                         kept("late", String(result.late)), String(result.aggregated), result.accuracy.map { String($0) } ?? "",
                         result.loss.map { String($0) } ?? "", String(result.seconds), result.evaluationSeconds.map { String($0) } ?? ""] + federated
                        + [kept("trainLoss", result.trainLoss.map { String($0) } ?? ""), kept("contributors", result.contributors.joined(separator: ";")),
                           result.aggregationSeconds.map { String($0) } ?? ""])
                        .joined(separator: ","), to: csvURL)
    }

    /// Appends `line` to `url`.
    ///
    /// - Throws: ``SchedulerError`` (`.writeFailed`) naming the file (a full disk, permissions).
    private func appendLine(_ line: String, to url: URL) throws {
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((line + "\n").utf8))
        } catch {
            throw SchedulerError.writeFailed(path: url.path, reason: FileFailure.reason(error))
        }
    }
}
