import ArgumentParser
import Foundation
import TesseraTopology

/// `tessera runs`: every run under the runs directory, newest last.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List runs: name, start, rounds done, final accuracy, status.")

    @Option(help: "The runs directory.")
    var runs = "runs"

    func run() throws {
        let root = URL(fileURLWithPath: runs)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0 != "latest" }.sorted()
        var rows: [(started: Date, line: String)] = []
        for name in names {
            let parent = root.appendingPathComponent(name)
            for stamp in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where stamp != "latest" {
                let run = RunDirectory(parent.appendingPathComponent(stamp))
                guard let status = run.status else { continue }
                let metrics = ((try? String(contentsOf: run.url.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "")
                    .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                let accuracy = (metrics.last { $0["accuracy"] is Double }?["accuracy"] as? Double).map { String(format: "%.2f%%", $0 * 100) } ?? "-"
                let started = ISO8601DateFormatter().string(from: status.started)
                rows.append((status.started, "\(name)/\(stamp)".padding(toLength: 44, withPad: " ", startingAt: 0)
                             + "  \(started)  \(String(metrics.count).leftPadded(6))  \(accuracy.leftPadded(8))  \(status.state)"
                             + (status.error.map { ": \($0)" } ?? "")))
            }
        }
        guard !rows.isEmpty else { return print("no runs in \(root.path) yet (tessera launch makes them)") }
        print("run".padding(toLength: 44, withPad: " ", startingAt: 0) + "  started               rounds  accuracy  status")
        // Runs started in the same second (status.json keeps seconds) in the order of their directories.
        for row in rows.sorted(by: { ($0.started, $0.line) < ($1.started, $1.line) }) { print(row.line) }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
