import Foundation
import TesseraWire

/// Where every message of a process goes in and out: send an envelope to a peer, receive the
/// next one with its sender, within a timeout.
///
/// A channel is either *bound* (it listens at an address, many peers connect to it, and every
/// send names its peer, as a ZeroMQ ROUTER) or *connected* (it has one peer, the address it
/// connected to, and sends go there whatever `peer` says, as a ZeroMQ DEALER). Implementations:
/// ZeroMQ (``Transport/zeroMQ``) and an in-process hub (``InProcessHub``); wrappers such as
/// ``TracingChannel`` compose over any of them. Open channels through ``Transport``.
///
/// Not thread-safe unless an implementation says so, except ``wake()``: use a channel from one
/// thread at a time.
public protocol MessageChannel: AnyObject {
    /// The codec, with the limits every message in and out is held to.
    var codec: WireCodec { get }
    /// The address bound (with the real port after `tcp://…:0`) or connected to.
    var address: String { get }

    /// Sends an encoded message to `peer` (bound channels; connected channels ignore it).
    /// Sending to a peer a bound channel does not know drops the message, as ZeroMQ does.
    ///
    /// - Throws: ``TransportError`` when the channel is closed or the send fails.
    func send(_ message: EncodedMessage, to peer: PeerID?) throws

    /// Sends `frames` as they are, unchecked (tests and tools send malformed bytes this way).
    ///
    /// - Throws: ``TransportError``.
    func sendRaw(_ frames: [Data], to peer: PeerID?) throws

    /// The next message, waiting at most `timeout` seconds (nil: until one comes or ``wake()``);
    /// nil when none came in time or the channel was woken. Messages that cannot be decoded are
    /// delivered too, as failures, so the receiver can answer them.
    ///
    /// - Throws: ``TransportError`` when the channel is closed or receiving fails.
    func receive(timeout: Double?) throws -> Delivery?

    /// Makes a `receive` blocked on another thread return now. Thread-safe.
    func wake()

    /// Closes the channel; later calls throw `.closed`. Unsent messages are dropped.
    func close()

    /// Connections a bound channel refused at the handshake so far (unlisted keys, clients
    /// without keys); 0 where there is no handshake.
    var refusedHandshakes: Int { get }
}

extension MessageChannel {
    public var refusedHandshakes: Int { 0 }

    /// Encodes `envelope` and sends it to `peer`.
    ///
    /// - Throws: ``/TesseraWire/WireError`` when it cannot be encoded within the limits, ``TransportError``.
    public func send(_ envelope: Envelope, to peer: PeerID? = nil) throws {
        try send(EncodedMessage(envelope, codec: codec), to: peer)
    }
}
