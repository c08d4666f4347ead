import Foundation
import TesseraTrace
import TesseraWire

/// A synchronous request/reply client over a DEALER socket: sends one message, waits for the
/// reply whose reply-to matches, and skips anything else (heartbeats, stale replies). For
/// tools, tests, and workers talking to workers; not thread-safe.
public final class RequestClient {
    private let context: ZMQContext
    private let socket: MessageSocket
    private var nextID: UInt64 = 1

    /// A client connected to `endpoint`, tracing to `tracer` when given.
    ///
    /// - Throws: ``TransportError`` when the socket cannot connect.
    public init(connectingTo endpoint: String, limits: WireLimits = WireLimits(), tracer: TraceWriter? = nil) throws {
        context = try ZMQContext()
        let zmq = try ZMQSocket(.dealer, context: context, maximumMessageBytes: limits.maximumMessageBytes)
        try zmq.connect(endpoint)
        socket = MessageSocket(zmq, codec: WireCodec(limits: limits), tracer: tracer, peerName: endpoint)
    }

    /// Sends `message` and returns the reply, waiting at most `timeout` seconds.
    ///
    /// - Throws: ``TransportError`` (`.timeout`) when no reply comes, ``WireError`` when the
    ///   reply cannot be decoded.
    public func request(_ message: Message, timeout: Double = 10) throws -> Message {
        let id = nextID
        nextID += 1
        try socket.send(Envelope(id: id, message: message))
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let received = try socket.receive(timeout: left) else {
                throw TransportError(.timeout, "no reply to message \(id) from \(socket.peerName) within \(timeout) s")
            }
            let envelope = try received.envelope.get()
            if envelope.replyTo == id { return envelope.message }
        }
    }

    /// Sends raw frames (for example deliberately malformed ones) and returns the next reply.
    public func requestRaw(_ frames: [Data], timeout: Double = 10) throws -> Message {
        try socket.sendRaw(frames)
        guard let received = try socket.receive(timeout: timeout) else {
            throw TransportError(.timeout, "no reply from \(socket.peerName) within \(timeout) s")
        }
        return try received.envelope.get().message
    }
}
