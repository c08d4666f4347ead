import ArgumentParser
import Foundation
import TesseraTrace

/// `tessera trace export RUN --format perfetto`: the merged trace for a trace viewer.
struct TraceExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the merged trace as Chrome Trace Event JSON (Perfetto UI, chrome://tracing).",
        discussion: """
            One track group per process: its work as nested slices, a "messages" track with a flow arrow from \
            every send to its receive, a marker at each round's start, and the bytes in flight as a counter. \
            Open the file at ui.perfetto.dev or chrome://tracing.
            """)

    /// Export formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case perfetto
    }

    @OptionGroup var source: TraceRunOptions

    @Option(help: "The format: perfetto (Chrome Trace Event JSON).")
    var format: Format = .perfetto

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        let (_, trace) = try source.load()
        let document = ChromeTraceExport.json(trace)
        guard let output else { return print(document, terminator: "") }
        try writeOutput(Data(document.utf8), to: output)
        FileHandle.standardError.write(Data("wrote \(output) (\(document.utf8.count) bytes); open it at ui.perfetto.dev\n".utf8))
    }
}
