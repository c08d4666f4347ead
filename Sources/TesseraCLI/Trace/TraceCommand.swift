import ArgumentParser
import Foundation
import TesseraTopology
import TesseraTrace

/// `tessera trace`: questions answered from a run's message traces.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Inspect a run's message traces: summary, messages, timeline, export, collect.",
        subcommands: [TraceSummaryCommand.self, TraceMessagesCommand.self, TraceTimelineCommand.self, TraceExportCommand.self, TraceCollectCommand.self])
}

/// The run a trace command reads.
struct TraceRunOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("A run directory (or a folder of *.trace.jsonl), latest, or a topology name (its newest run).",
                                 valueName: "run"))
    var reference = "latest"

    @Option(help: "The runs directory.")
    var runs = "runs"

    /// The run directory named.
    func directory() throws -> URL {
        let given = URL(fileURLWithPath: reference)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: given.path)) ?? []
        // A directory of a run not made by tessera launch (tessera scheduler --run-dir) has no
        // topology.yaml but has traces or metrics.
        if names.contains("traces") || names.contains("metrics.jsonl") || names.contains(where: { $0.hasSuffix(TraceReader.fileSuffix) }) {
            return given.resolvingSymlinksInPath()
        }
        return try RunDirectory.resolve(reference, runs: runs).url
    }

    /// The run's merged traces; damage found in them is reported on standard error.
    func load() throws -> (directory: URL, trace: RunTrace) {
        let directory = try directory()
        let trace = try RunTrace(directory: directory)
        for problem in trace.problems {
            FileHandle.standardError.write(Data("warning: \(problem)\n".utf8))
        }
        return (directory, trace)
    }
}
