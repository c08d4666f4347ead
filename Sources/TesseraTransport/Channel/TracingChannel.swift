import Foundation
import TesseraTrace
import TesseraWire

/// Records every message sent and received on the channel under it in a ``/TesseraTrace/TraceWriter``: peer,
/// direction, type, ids, round and bytes (`raw` for raw sends, `malformed` for what could not
/// be decoded). The trace hook every process shares; ``Transport`` puts it on every channel
/// opened with a tracer.
public final class TracingChannel: MessageChannel {
    private let base: any MessageChannel
    /// Where messages are recorded.
    public let tracer: TraceWriter

    /// Traces `base` into `tracer`.
    public init(_ base: any MessageChannel, tracer: TraceWriter) {
        self.base = base
        self.tracer = tracer
    }

    public var codec: WireCodec { base.codec }
    public var address: String { base.address }
    public var refusedHandshakes: Int { base.refusedHandshakes }

    // A send is stamped before its bytes leave (and recorded once they did): stamped after,
    // its receiver could record it first, and the message would seem to arrive before it left.
    public func send(_ message: EncodedMessage, to peer: PeerID?) throws {
        let stamp = TraceEvent.now()
        try base.send(message, to: peer)
        record(message.envelope, peer: peer ?? PeerID(address), direction: "send", bytes: message.byteCount, at: stamp)
    }

    public func sendRaw(_ frames: [Data], to peer: PeerID?) throws {
        let stamp = TraceEvent.now()
        try base.sendRaw(frames, to: peer)
        tracer.message(peer: (peer ?? PeerID(address)).description, direction: "send", type: "raw", id: 0, replyTo: 0,
                       round: 0, bytes: frames.reduce(0) { $0 + $1.count }, at: stamp)
    }

    public func receive(timeout: Double?) throws -> Delivery? {
        guard let delivery = try base.receive(timeout: timeout) else { return nil }
        switch delivery.envelope {
        case let .success(envelope):
            record(envelope, peer: delivery.peer, direction: "recv", bytes: delivery.byteCount, at: TraceEvent.now())
        case .failure:
            tracer.message(peer: delivery.peer.description, direction: "recv", type: "malformed", id: 0, replyTo: 0,
                           round: 0, bytes: delivery.byteCount)
        }
        return delivery
    }

    /// Records `envelope` to or from `peer`; one for several hosted clients as one message to
    /// each (its bytes divided among them), so that every client's task shows in its timeline.
    private func record(_ envelope: Envelope, peer: PeerID, direction: String, bytes: Int, at stamp: UInt64) {
        let recipients = envelope.recipients.isEmpty ? [peer.client] : envelope.recipients.map(Optional.some)
        for (position, recipient) in recipients.enumerated() {
            let share = bytes / recipients.count + (position == 0 ? bytes % recipients.count : 0)
            tracer.message(peer: peer.hosting(recipient).description, direction: direction, type: envelope.message.kindName,
                           id: envelope.id, replyTo: envelope.replyTo, round: envelope.message.round, bytes: share, at: stamp)
        }
    }

    public func wake() {
        base.wake()
    }

    public func close() {
        base.close()
    }
}
