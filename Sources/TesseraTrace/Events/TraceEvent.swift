import Foundation

/// One event in a process's trace: a message sent or received, or a span of work. In memory
/// every event carries its process and both clocks; on disk (``TraceWriter``, docs/TRACES.md)
/// those come from the file's header and the event holds only what is its own.
public struct TraceEvent: Sendable, Equatable {
    /// "message" or "span".
    public var kind: String
    /// Wall-clock time, seconds since 1970.
    public var wall: Double
    /// Monotonic time in nanoseconds (message time, or span end).
    public var monoNanoseconds: UInt64
    /// The process that wrote the event.
    public var process: String
    /// Other side of a message.
    public var peer: String?
    /// "send" or "recv".
    public var direction: String?
    /// Message type ("put", "train task"…).
    public var type: String?
    /// Message id.
    public var messageID: UInt64?
    /// The id the message answers.
    public var replyTo: UInt64?
    /// Federated round (a server step in asynchronous modes), 0 outside rounds.
    public var round: UInt64?
    /// Bytes on the wire (all frames).
    public var bytes: Int?
    /// Span name ("exec", "train").
    public var name: String?
    /// Span start, monotonic nanoseconds.
    public var startNanoseconds: UInt64?
    /// Free text for spans (op name, error).
    public var detail: String?
    /// Server steps an asynchronous update's model was behind when it arrived.
    public var staleness: Int?
    /// On virtual time (`simulation.clock: virtual`): when the work began, in virtual seconds
    /// since the run's first round.
    public var virtualStart: Double? = nil
    /// On virtual time: when it ended, in virtual seconds; nil when it never does (a device that
    /// goes out of reach before its task ends).
    public var virtualEnd: Double? = nil

    /// A message event.
    public static func message(process: String, peer: String, direction: String, type: String,
                               id: UInt64, replyTo: UInt64, round: UInt64, bytes: Int,
                               at mono: UInt64 = now(), wall: Double = Date().timeIntervalSince1970) -> TraceEvent {
        TraceEvent(kind: "message", wall: wall, monoNanoseconds: mono, process: process,
                   peer: peer, direction: direction, type: type, messageID: id, replyTo: replyTo, round: round,
                   bytes: bytes, name: nil, startNanoseconds: nil, detail: nil, staleness: nil)
    }

    /// A span event for work that started at `start` (from ``now()``) and ends now, about
    /// `round` and `peer` when given, and on virtual time its ``VirtualSpan``.
    public static func span(process: String, name: String, start: UInt64, detail: String? = nil, round: UInt64? = nil,
                            peer: String? = nil, staleness: Int? = nil, virtual: VirtualSpan? = nil) -> TraceEvent {
        TraceEvent(kind: "span", wall: Date().timeIntervalSince1970, monoNanoseconds: Self.now(), process: process,
                   peer: peer, direction: nil, type: nil, messageID: nil, replyTo: nil, round: round, bytes: nil,
                   name: name, startNanoseconds: start, detail: detail, staleness: staleness,
                   virtualStart: virtual?.start, virtualEnd: virtual?.end)
    }

    /// Whether this records a message (else a span).
    public var isMessage: Bool { kind == "message" }

    /// The span's length in seconds (0 for messages).
    public var seconds: Double {
        guard let start = startNanoseconds, start <= monoNanoseconds else { return 0 }
        return Double(monoNanoseconds - start) / 1e9
    }

    /// Wall-clock start of a span (the time of a message), seconds since 1970.
    public var startWall: Double { wall - seconds }

    /// The monotonic clock, in nanoseconds.
    public static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}

/// Where a span of work lies on virtual time (`simulation.clock: virtual`), in virtual seconds
/// since the run's first round.
public struct VirtualSpan: Sendable, Equatable {
    /// When it began.
    public var start: Double
    /// When it ended; nil when it never does (its device went out of reach first).
    public var end: Double?

    /// A span from `start` to `end`.
    public init(start: Double, end: Double?) {
        (self.start, self.end) = (start, end)
    }
}
