import Foundation
import Synchronization
import TesseraWire

/// A ``MessageChannel`` on an ``InProcessHub``: bound at an address, or connected to one under
/// an identity. Sends and receives may come from different threads.
public final class InProcessChannel: MessageChannel, Sendable {
    /// Which side of an address the channel is.
    enum Role: Sendable, Equatable {
        case bound
        case connected(as: PeerID)
    }

    private let hub: InProcessHub
    private let role: Role
    private let inbox: DeliveryQueue
    private let closed = Atomic<Bool>(false)
    public let codec: WireCodec
    public let address: String

    init(hub: InProcessHub, address: String, role: Role, inbox: DeliveryQueue, codec: WireCodec) {
        self.hub = hub
        self.address = address
        self.role = role
        self.inbox = inbox
        self.codec = codec
    }

    deinit {
        close()
    }

    /// This channel's identity as its bound peer sees it (nil for a bound channel).
    public var identity: PeerID? {
        if case let .connected(peer) = role { return peer }
        return nil
    }

    public func send(_ message: EncodedMessage, to peer: PeerID?) throws {
        try sendRaw(try message.frames(for: peer, codec: codec), to: peer)
    }

    public func sendRaw(_ frames: [Data], to peer: PeerID?) throws {
        try checkOpen()
        switch role {
        case .bound:
            guard let peer else { throw TransportError(.protocolViolation, "a bound channel needs a peer to send to") }
            hub.deliver(frames, fromBound: address, to: peer)
        case let .connected(identity):
            hub.deliver(frames, from: identity, to: address)
        }
    }

    public func receive(timeout: Double?) throws -> Delivery? {
        try checkOpen()
        guard let item = inbox.take(timeout: timeout) else { return nil }
        return Delivery(decoding: item.frames, from: item.sender, codec: codec)
    }

    public func wake() {
        inbox.wake()
    }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        hub.remove(role, at: address, inbox: inbox)
        inbox.wake()
    }

    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw TransportError(.closed, "the channel at \(address) is closed") }
    }
}
