import Foundation

/// What went wrong reading a run's traces.
public struct TraceError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case unreadable(path: String, reason: String)
        case noTraces(directory: String)
    }

    let kind: Kind

    /// A trace file or directory that cannot be read.
    public static func unreadable(_ path: String, reason: String) -> TraceError { TraceError(kind: .unreadable(path: path, reason: reason)) }
    /// A directory holding no `*.trace.jsonl` files.
    public static func noTraces(in directory: String) -> TraceError { TraceError(kind: .noTraces(directory: directory)) }

    public var description: String {
        switch kind {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .noTraces(directory):
            "no traces in \(directory) (a run writes them to traces/<process>.trace.jsonl; was it started with a trace directory?)"
        }
    }
}
