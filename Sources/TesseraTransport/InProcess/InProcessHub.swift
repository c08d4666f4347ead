import Foundation
import Synchronization
import TesseraWire

/// Channels between parts of one process, without sockets: a scheduler and its clients in one
/// process (simulation, tests), or many clients hosted by one worker process. Addresses are
/// any text (`local://scheduler` by convention). Semantics follow ZeroMQ's ROUTER and DEALER:
/// one channel binds an address, any number connect to it (before or after it binds: messages
/// wait), a bound channel sends to a peer by identity and drops messages to unknown peers.
/// Messages travel as encoded frames and are decoded by the receiver with its own limits, so
/// what crosses a hub is exactly what would cross a socket. Thread-safe.
public final class InProcessHub: Sendable {
    /// One address: the queue of the channel bound there and the queues of those connected.
    private struct Endpoint {
        var inbox = DeliveryQueue()
        var isBound = false
        var connected: [PeerID: DeliveryQueue] = [:]
    }

    // Guards the endpoints by address and the counter for unnamed peers.
    private let state = Mutex<(endpoints: [String: Endpoint], unnamed: Int)>(([:], 0))

    /// An empty hub.
    public init() {}

    /// A channel bound at `address`, decoding with `codec`.
    ///
    /// - Throws: ``TransportError`` when another channel is bound there.
    public func bind(_ address: String, codec: WireCodec) throws -> InProcessChannel {
        let inbox = try state.withLock { state -> DeliveryQueue in
            var endpoint = state.endpoints[address] ?? Endpoint()
            guard !endpoint.isBound else { throw TransportError(.zmq, "bind \(address): address already in use") }
            endpoint.isBound = true
            state.endpoints[address] = endpoint
            return endpoint.inbox
        }
        return InProcessChannel(hub: self, address: address, role: .bound, inbox: inbox, codec: codec)
    }

    /// A channel connected to `address` as `identity` (a fresh name when nil).
    public func connect(_ address: String, identity: String?, codec: WireCodec) -> InProcessChannel {
        let inbox = DeliveryQueue()
        let peer = state.withLock { state -> PeerID in
            let peer: PeerID
            if let identity {
                peer = PeerID(identity)
            } else {
                state.unnamed += 1
                peer = PeerID("peer-\(state.unnamed)")
            }
            // A newcomer with a known identity takes the name over (ZeroMQ's ROUTER_HANDOVER).
            state.endpoints[address, default: Endpoint()].connected[peer] = inbox
            return peer
        }
        return InProcessChannel(hub: self, address: address, role: .connected(as: peer), inbox: inbox, codec: codec)
    }

    /// Queues `frames` from a connected channel for the channel bound at `address`.
    func deliver(_ frames: [Data], from peer: PeerID, to address: String) {
        let inbox = state.withLock { $0.endpoints[address, default: Endpoint()].inbox }
        inbox.put(.init(sender: peer, frames: frames))
    }

    /// Queues `frames` from the channel bound at `address` for its connected `peer` (a hosted
    /// client's, for the process that hosts it); dropped when no such peer is connected.
    func deliver(_ frames: [Data], fromBound address: String, to peer: PeerID) {
        let inbox = state.withLock { $0.endpoints[address]?.connected[PeerID(bytes: peer.bytes)] }
        inbox?.put(.init(sender: PeerID(address), frames: frames))
    }

    /// Forgets a closed channel. The bound one's unread messages go with it; later ones wait
    /// for the next channel to bind there (as with a restarted ZeroMQ peer).
    func remove(_ role: InProcessChannel.Role, at address: String, inbox: DeliveryQueue) {
        state.withLock { state in
            guard var endpoint = state.endpoints[address] else { return }
            switch role {
            case .bound:
                endpoint.isBound = false
                endpoint.inbox = DeliveryQueue()
            case let .connected(peer):
                if endpoint.connected[peer] === inbox { endpoint.connected[peer] = nil }
            }
            state.endpoints[address] = endpoint
        }
    }
}
