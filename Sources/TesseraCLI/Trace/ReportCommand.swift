import ArgumentParser
import Foundation
import TesseraTrace

/// `tessera report RUN`: the run's self-contained HTML report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run's HTML report: accuracy, time and bytes per round, timeline, labels per client, environment.",
        discussion: "One self-contained file (no scripts, fonts or requests), by default report.html in the run directory. tessera launch writes it at the end of every run.")

    @OptionGroup var source: TraceRunOptions

    @Option(name: .shortAndLong, help: "Write to this file instead of the run directory's report.html.")
    var output: String?

    func run() throws {
        let directory = try source.directory()
        let report = RunReport(directory: directory)
        for problem in report.problems { FileHandle.standardError.write(Data("warning: \(problem)\n".utf8)) }
        let path = output ?? directory.appendingPathComponent("report.html").path
        try writeOutput(Data(report.html().utf8), to: path)
        print(path)
    }
}
