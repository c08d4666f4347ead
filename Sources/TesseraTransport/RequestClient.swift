import Foundation
import TesseraWire

/// A synchronous request/reply client over a DEALER socket: sends one message, waits for the
/// reply whose reply-to matches, and skips anything else (heartbeats, stale replies). For
/// tools, tests and simple clients; not thread-safe.
public final class RequestClient {
    private let context: ZMQContext
    private let socket: ZMQSocket
    private let codec: WireCodec
    private var nextID: UInt64 = 1

    /// A client connected to `endpoint`.
    ///
    /// - Throws: ``TransportError`` when the socket cannot connect.
    public init(connectingTo endpoint: String, limits: WireLimits = WireLimits()) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(.dealer, context: context)
        codec = WireCodec(limits: limits)
        try socket.connect(endpoint)
    }

    /// Sends `message` and returns the reply, waiting at most `timeout` seconds.
    ///
    /// - Throws: ``TransportError`` (`.timeout`) when no reply comes, ``WireError`` when the
    ///   reply cannot be decoded.
    public func request(_ message: Message, timeout: Double = 10) throws -> Message {
        let id = nextID
        nextID += 1
        try socket.send(codec.encode(Envelope(id: id, message: message)))
        return try reply(to: id, timeout: timeout)
    }

    /// Sends raw frames (for example deliberately malformed ones) and returns the next reply.
    public func requestRaw(_ frames: [Data], timeout: Double = 10) throws -> Message {
        try socket.send(frames)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard let frames = try socket.receive(timeout: max(0, deadline.timeIntervalSinceNow)) else {
                throw TransportError(.timeout, "no reply within \(timeout) s")
            }
            return try codec.decode(frames).message
        }
    }

    private func reply(to id: UInt64, timeout: Double) throws -> Message {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let frames = try socket.receive(timeout: left) else {
                throw TransportError(.timeout, "no reply to message \(id) within \(timeout) s")
            }
            let envelope = try codec.decode(frames)
            if envelope.replyTo == id { return envelope.message }
        }
    }
}
