import Foundation
import TesseraTrace
import TesseraWire

/// A synchronous request/reply client on a connected channel: sends one message, waits for the
/// reply whose reply-to matches, and skips anything else (heartbeats, stale replies). For
/// tools, tests, and workers talking to workers; not thread-safe.
public final class RequestClient {
    /// The channel under it.
    public let channel: any MessageChannel
    private var nextID: UInt64

    /// A client on `channel` (connected) whose requests are numbered from `firstMessageID` (a
    /// test that also sends raw frames numbers its requests apart from theirs).
    public init(channel: any MessageChannel, firstMessageID: UInt64 = 1) {
        self.channel = channel
        nextID = firstMessageID
    }

    /// A client connected to `endpoint` through `transport`, tracing to `tracer` when given.
    ///
    /// - Throws: ``TransportError`` when the endpoint is malformed.
    public convenience init(connectingTo endpoint: String, limits: WireLimits = WireLimits(),
                            security: ChannelSecurity = .none, tracer: TraceWriter? = nil,
                            transport: Transport = .zeroMQ, firstMessageID: UInt64 = 1) throws {
        self.init(channel: try transport.connect(endpoint, limits: limits, security: security, tracer: tracer),
                  firstMessageID: firstMessageID)
    }

    /// Sends `message` and returns the reply, waiting at most `timeout` seconds.
    ///
    /// - Throws: ``TransportError`` (`.timeout`) when no reply comes, ``/TesseraWire/WireError`` when the
    ///   reply cannot be decoded.
    public func request(_ message: Message, timeout: Double = 10) throws -> Message {
        let id = nextID
        nextID += 1
        try channel.send(Envelope(id: id, message: message))
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let received = try channel.receive(timeout: left) else {
                throw TransportError(.timeout, "no reply to message \(id) from \(channel.address) within \(timeout) s")
            }
            let envelope = try received.envelope.get()
            if envelope.replyTo == id { return envelope.message }
        }
    }

    /// Sends raw frames (for example deliberately malformed ones) and returns the next reply.
    public func requestRaw(_ frames: [Data], timeout: Double = 10) throws -> Message {
        try channel.sendRaw(frames, to: nil)
        guard let received = try channel.receive(timeout: timeout) else {
            throw TransportError(.timeout, "no reply from \(channel.address) within \(timeout) s")
        }
        return try received.envelope.get().message
    }
}
