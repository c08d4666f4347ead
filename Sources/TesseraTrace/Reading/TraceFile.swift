import Foundation

/// One process's trace as read from its file: the events that could be decoded, and what was
/// wrong with the rest.
public struct TraceFile: Sendable {
    /// The file read.
    public let url: URL
    /// The process that wrote it (from its events; the file name when it holds none).
    public let process: String
    /// The events in file order.
    public var events: [TraceEvent]
    /// Damage found: a torn last line (the process was killed while writing it), lines that
    /// are not events. Each is skipped; the events around it are kept.
    public var problems: [TraceProblem]
    /// The host it was written on, and the wall and monotonic clocks read together when it
    /// started (its first header); nil when it has no header.
    public var host: String?
    public var clock: (wall: Double, monoNanoseconds: UInt64)?

    /// The same events with their wall times read from `clock` instead of this file's own
    /// anchor: processes of one host share the monotonic clock, so one reading of both clocks
    /// puts all of them on one timeline exactly.
    func anchored(to clock: (wall: Double, monoNanoseconds: UInt64)) -> TraceFile {
        var file = self
        file.events = events.map { event in
            var event = event
            event.wall = clock.wall + (Double(event.monoNanoseconds) - Double(clock.monoNanoseconds)) / 1e9
            return event
        }
        return file
    }
}

/// A part of a trace file that could not be read.
public struct TraceProblem: Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Sendable, Equatable {
        /// The last line has no newline and does not decode: cut off mid-write.
        case tornLastLine
        /// A complete line that is not an event (`reason` says why).
        case corruptLine(reason: String)
        /// A file (from this line on) in a trace format this version does not read.
        case unsupportedFormat(version: Int)
    }

    /// The file.
    public let path: String
    /// The 1-based line number.
    public let line: Int
    /// What is wrong.
    public let kind: Kind

    /// A problem at `line` of the file at `path`.
    public init(path: String, line: Int, kind: Kind) {
        (self.path, self.line, self.kind) = (path, line, kind)
    }

    public var description: String {
        switch kind {
        case .tornLastLine: "\(path): line \(line) is cut off (the process stopped while writing it); read up to it"
        case let .corruptLine(reason): "\(path): line \(line) is not a trace event (\(reason)); skipped"
        case let .unsupportedFormat(version):
            "\(path): line \(line) on is in trace format \(version), which this Tessera does not read (it reads format \(TraceLine.version)); skipped"
        }
    }
}
