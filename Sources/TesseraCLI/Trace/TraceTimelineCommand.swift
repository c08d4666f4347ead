import ArgumentParser
import Foundation
import TesseraTrace

/// `tessera trace timeline RUN`: who did what when, as a text Gantt chart.
struct TraceTimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline", abstract: "A text Gantt chart of who did what when (one row per process).")

    @OptionGroup var source: TraceRunOptions

    @Option(help: "Only this round's (or server step's) window.")
    var round: UInt64?

    @Option(help: "Columns to use, at least 40 (default: the terminal's width, else 100).")
    var width: Int?

    func validate() throws {
        if let width, width < 40 { throw ValidationError("--width must be at least 40 columns, not \(width)") }
    }

    func run() throws {
        let (_, trace) = try source.load()
        let timeline = try TraceTimeline(trace, round: round, width: width ?? Self.terminalWidth())
        timeline.lines.forEach { print($0) }
    }

    /// The terminal's width, from the terminal itself or `COLUMNS`; 100 when neither says.
    static func terminalWidth() -> Int {
        var size = winsize()
        if isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 100
    }
}
