import Foundation

/// One record in a process's trace: a message sent or received, or a span of work.
///
/// Traces are JSON Lines, one object per event, with these keys (absent when not relevant):
/// `kind` ("message" or "span"), `wall` (seconds since 1970), `mono_ns` (monotonic clock of the
/// writing process), `process`, and for messages `peer`, `dir` ("send"/"recv"), `type`, `id`,
/// `reply_to`, `round`, `bytes`; for spans `name`, `start_ns`, `end_ns`, `detail`.
public struct TraceEvent: Sendable, Equatable, Codable {
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
    /// Federated round, 0 outside rounds.
    public var round: UInt64?
    /// Bytes on the wire (all frames).
    public var bytes: Int?
    /// Span name ("exec", "train").
    public var name: String?
    /// Span start, monotonic nanoseconds.
    public var startNanoseconds: UInt64?
    /// Free text for spans (op name, error).
    public var detail: String?

    enum CodingKeys: String, CodingKey {
        case kind, wall, process, peer, type, round, bytes, name, detail
        case monoNanoseconds = "mono_ns", direction = "dir", messageID = "id", replyTo = "reply_to"
        case startNanoseconds = "start_ns"
    }

    /// A message event.
    public static func message(process: String, peer: String, direction: String, type: String,
                               id: UInt64, replyTo: UInt64, round: UInt64, bytes: Int) -> TraceEvent {
        TraceEvent(kind: "message", wall: Date().timeIntervalSince1970, monoNanoseconds: Self.now(), process: process,
                   peer: peer, direction: direction, type: type, messageID: id, replyTo: replyTo, round: round,
                   bytes: bytes, name: nil, startNanoseconds: nil, detail: nil)
    }

    /// A span event for work that started at `start` (from ``now()``) and ends now.
    public static func span(process: String, name: String, start: UInt64, detail: String? = nil) -> TraceEvent {
        TraceEvent(kind: "span", wall: Date().timeIntervalSince1970, monoNanoseconds: Self.now(), process: process,
                   peer: nil, direction: nil, type: nil, messageID: nil, replyTo: nil, round: nil, bytes: nil,
                   name: name, startNanoseconds: start, detail: detail)
    }

    /// The monotonic clock, in nanoseconds.
    public static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}
