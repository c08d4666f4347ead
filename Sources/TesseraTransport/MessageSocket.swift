import Foundation
import TesseraTrace
import TesseraWire

/// A ZeroMQ socket that speaks envelopes: encodes and decodes with a ``WireCodec`` and, when
/// given a ``TraceWriter``, records every message sent and received (the trace hook every
/// process shares). Not thread-safe, like the socket under it.
public final class MessageSocket {
    /// The socket under it.
    public let socket: ZMQSocket
    /// The codec and its limits.
    public let codec: WireCodec
    /// Where messages are traced, if anywhere.
    public let tracer: TraceWriter?
    /// How the peer is named in traces when frames carry no routing identity.
    public let peerName: String

    /// A message socket over `socket`.
    public init(_ socket: ZMQSocket, codec: WireCodec, tracer: TraceWriter?, peerName: String) {
        self.socket = socket
        self.codec = codec
        self.tracer = tracer
        self.peerName = peerName
    }

    /// A received message: the sender's routing identity (ROUTER sockets), and the envelope
    /// or why it could not be decoded.
    public struct Received {
        /// The routing identity frame, for ROUTER sockets.
        public var identity: Data?
        /// The decoded envelope, or the decoding error.
        public var envelope: Result<Envelope, WireError>
    }

    /// Encodes and sends `envelope`, to `identity` on a ROUTER socket.
    ///
    /// - Throws: ``WireError`` when it cannot be encoded, ``TransportError`` when sending fails.
    public func send(_ envelope: Envelope, to identity: Data? = nil) throws {
        try send(frames: codec.encode(envelope), of: envelope, to: identity)
    }

    /// Sends already-encoded `frames` of `envelope` (encode once, send to many).
    public func send(frames: [Data], of envelope: Envelope, to identity: Data? = nil) throws {
        try socket.send(identity.map { [$0] + frames } ?? frames)
        tracer?.message(peer: identity.map(Self.name) ?? peerName, direction: "send", type: envelope.message.kindName,
                        id: envelope.id, replyTo: envelope.replyTo, round: envelope.message.round,
                        bytes: frames.reduce(0) { $0 + $1.count })
    }

    /// Sends raw frames (tests, tools), traced as "raw".
    public func sendRaw(_ frames: [Data]) throws {
        try socket.send(frames)
        tracer?.message(peer: peerName, direction: "send", type: "raw", id: 0, replyTo: 0, round: 0,
                        bytes: frames.reduce(0) { $0 + $1.count })
    }

    /// The next message, waiting at most `timeout` seconds (nil: forever); nil on timeout.
    /// `hasIdentity`: the first frame is a routing identity (ROUTER sockets).
    public func receive(timeout: Double?, hasIdentity: Bool = false) throws -> Received? {
        guard var frames = try socket.receive(timeout: timeout) else { return nil }
        let identity = hasIdentity && !frames.isEmpty ? frames.removeFirst() : nil
        let bytes = frames.reduce(0) { $0 + $1.count }
        let peer = identity.map(Self.name) ?? peerName
        do {
            let envelope = try codec.decode(frames)
            tracer?.message(peer: peer, direction: "recv", type: envelope.message.kindName, id: envelope.id,
                            replyTo: envelope.replyTo, round: envelope.message.round, bytes: bytes)
            return Received(identity: identity, envelope: .success(envelope))
        } catch let error as WireError {
            tracer?.message(peer: peer, direction: "recv", type: "malformed", id: 0, replyTo: 0, round: 0, bytes: bytes)
            return Received(identity: identity, envelope: .failure(error))
        }
    }

    /// A routing identity as text (UTF-8 names as they are, other bytes in hex).
    static func name(_ identity: Data) -> String {
        String(data: identity, encoding: .utf8) ?? identity.map { String(format: "%02x", $0) }.joined()
    }
}
