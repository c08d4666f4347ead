import ArgumentParser
import Foundation
import TesseraTopology

/// `tessera logs RUN`: the logs of a run's processes.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show a run's logs (the launch's lines and each worker's output).")

    @Argument(help: ArgumentHelp("A run directory, latest, or a topology name (its newest run).", valueName: "run"))
    var reference = "latest"

    @Option(help: "Only this process's log (launch, worker-000, ...).")
    var process: String?

    @Flag(help: "Keep printing what is appended, until Ctrl-C.")
    var follow = false

    @Option(help: "The runs directory.")
    var runs = "runs"

    func run() throws {
        let directory = try RunDirectory.resolve(reference, runs: runs).url.appendingPathComponent("logs")
        let available = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
        let chosen = try process.map { name in
            guard available.contains("\(name).log") else {
                throw ValidationError("no log for \(name) in \(directory.path); there are: \(available.map { String($0.dropLast(4)) }.joined(separator: ", "))")
            }
            return ["\(name).log"]
        } ?? available
        var offsets: [String: UInt64] = [:]
        func show() {
            for file in chosen {
                guard let handle = try? FileHandle(forReadingFrom: directory.appendingPathComponent(file)) else { continue }
                defer { try? handle.close() }
                try? handle.seek(toOffset: offsets[file] ?? 0)
                let data = handle.readDataToEndOfFile()
                offsets[file, default: 0] += UInt64(data.count)
                let prefix = chosen.count > 1 ? "\(file.dropLast(4)): " : ""
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                    print(prefix + line)
                }
            }
        }
        show()
        guard follow else { return }
        StopSignal.install()
        while !StopSignal.isRaised {
            Thread.sleep(forTimeInterval: 0.5)
            show()
        }
    }
}
