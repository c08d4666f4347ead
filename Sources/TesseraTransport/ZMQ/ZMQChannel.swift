import CZMQ
import Foundation
import Synchronization
import TesseraTensor
import TesseraTrace
import TesseraWire

/// A ``MessageChannel`` over one ZeroMQ socket: a ROUTER when bound, a DEALER when connected.
/// The only code that touches a ZeroMQ socket; open it through ``Transport``.
final class ZMQChannel: MessageChannel {
    /// CURVE settings of the socket.
    enum Curve {
        case server(secretKey: String, domain: String)
        case client(keys: CurveKeyPair, serverKey: String)
    }

    private let socket: ZMQSocket
    private let isBound: Bool
    /// A bound channel's limit on its connections.
    private let connections: ConnectionGuard?
    /// Where a bound channel tells of the clients it refused at the handshake.
    private let refusals: RefusalReport
    /// The socket's monitor events: connections (bound) and handshakes (both).
    private let monitor: SocketMonitor
    /// A connected channel's last handshake failure since it last succeeded (nil: none), as its
    /// monitor's thread saw it.
    private let handshake = LastHandshake()
    /// The name and keys a connected channel's failures are told with.
    private let identity: String?
    private let usesKeys: Bool
    /// When a connected channel last connected again after a failed handshake.
    private var lastReconnect = -Double.infinity
    private let clock = SystemClock()
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var isClosed = false
    let codec: WireCodec
    let address: String
    /// How a connected channel's peer is named in deliveries.
    private let connectedPeer: PeerID

    /// A ROUTER bound to `endpoint` or a DEALER connected to it (named `identity`, if given).
    /// A bound channel tells of the clients it refused at the handshake through `refusals`.
    ///
    /// - Throws: ``TransportError``: a bad endpoint, an address in use, no pipe.
    init(context: ZMQContext, bindingTo endpoint: String?, connectingTo remote: String?, identity: String?, codec: WireCodec,
         queueLimit: Int?, curve: Curve?, refusals: RefusalReport = RefusalReport(tracer: nil), connectionLimit: Int? = nil) throws {
        self.codec = codec
        self.refusals = refusals
        self.identity = identity
        isBound = endpoint != nil
        // A ROUTER drops what a peer's full queue cannot take; a DEALER waits for room in
        // slices, so that a failed handshake ends the wait (see `sendRaw`).
        socket = try ZMQSocket(isBound ? .router : .dealer, context: context, identity: identity,
                               maximumMessageBytes: codec.limits.maximumMessageBytes, queueLimit: queueLimit,
                               sendTimeout: isBound ? nil : Self.sendSlice)
        switch curve {
        case let .server(secretKey, domain): try socket.makeCurveServer(secretKey: secretKey, domain: domain)
        case let .client(keys, serverKey): try socket.makeCurveClient(keys: keys, serverKey: serverKey)
        case nil: break
        }
        if case .client = curve { usesKeys = true } else { usesKeys = false }
        if Endpoint.isIPv6(endpoint ?? remote ?? "") { try socket.setOption(ZMQ_IPV6, Int32(1)) }
        if let endpoint {
            // Many peers' messages, a round's updates, arrive here on libzmq's I/O thread.
            AllocatorTuning.keepHeapsBetweenRounds()
            let connections = ConnectionGuard(limit: connectionLimit ?? DescriptorLimit.connectionLimit())
            self.connections = connections
            monitor = try SocketMonitor(socket, context: context, events: ConnectionGuard.events | HandshakeFailure.events,
                                        name: "tessera.connections") { event, value in
                guard let failure = HandshakeFailure(event: event, value: value) else { return connections.note(event, value: value) }
                // A refused key is told by the ZAP handler, which knows the key and address.
                if case .refusedKey = failure.cause { return }
                refusals.note(kind: "\(failure.cause)", failure.accepting)
            }
            try socket.bind(Endpoint.forLibzmq(endpoint))
            address = try socket.lastEndpoint()
        } else {
            connections = nil
            let handshake = handshake
            monitor = try SocketMonitor(socket, context: context, events: HandshakeFailure.events | ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
                                        name: "tessera.handshakes") { event, value in
                handshake.failure.withLock { $0 = event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? nil : HandshakeFailure(event: event, value: value) ?? $0 }
            }
            let remote = Endpoint.forLibzmq(remote ?? "")
            try socket.connect(remote)
            address = remote
        }
        connectedPeer = PeerID(address)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TransportError(.zmq, "cannot create a wake-up pipe: errno \(errno)") }
        (wakeRead, wakeWrite) = (fds[0], fds[1])
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
    }

    /// Seconds a connected channel's send waits for room in its queue (1,000 messages, or a
    /// peer not yet there) before it fails with a timeout; a failed handshake fails it at once.
    static let sendTimeout = 30.0
    /// Seconds of each wait of a connected channel's send between looks at its handshake.
    static let sendSlice = 0.1
    /// Seconds between attempts to connect again after a failed handshake (libzmq gives up on
    /// a peer that refused a key or spoke another mechanism; it may have been fixed since).
    static let reconnectInterval = 5.0

    deinit {
        // A channel dropped unclosed stops its connection guard's thread too.
        if !isClosed { close() }
        _ = Foundation.close(wakeRead)
        _ = Foundation.close(wakeWrite)
    }

    func send(_ message: EncodedMessage, to peer: PeerID?) throws {
        try sendRaw(try message.frames(for: peer, codec: codec), to: peer)
    }

    func sendRaw(_ frames: [Data], to peer: PeerID?) throws {
        guard !isClosed else { throw TransportError(.closed, "the channel at \(address) is closed") }
        if isBound {
            guard let peer else { throw TransportError(.protocolViolation, "a bound channel needs a peer to send to") }
            try socket.send([peer.bytes] + frames)
            return
        }
        let start = clock.now
        while true {
            try checkHandshake()
            if try socket.send(frames) { return }
            guard clock.now - start < Self.sendTimeout else {
                throw TransportError(.timeout, "send to \(address): no room for \(Int(Self.sendTimeout)) s (the peer takes no messages, or is not there)")
            }
        }
    }

    /// Throws the failure of a connected channel's last handshake (nil since a success), and
    /// connects again when ``reconnectInterval`` has passed since the last attempt.
    private func checkHandshake() throws {
        guard let failure = handshake.failure.withLock({ $0 }) else { return }
        if clock.now - lastReconnect >= Self.reconnectInterval {
            lastReconnect = clock.now
            socket.disconnect(address)
            try socket.connect(address)
        }
        throw TransportError(.notAdmitted, failure.connecting(to: address, as: identity, withKeys: usesKeys))
    }

    func receive(timeout: Double?) throws -> Delivery? {
        guard !isClosed else { throw TransportError(.closed, "the channel at \(address) is closed") }
        if !isBound, handshake.failure.withLock({ $0 }) != nil, clock.now - lastReconnect >= Self.reconnectInterval {
            // Waiting for a peer that refused this one: try again now and then.
            try? checkHandshake()
        }
        guard try socket.wait(timeout: 0) || socket.waitWithDescriptor(wakeRead, timeout: timeout) else {
            drainWakeUps()
            return nil
        }
        // A bound socket's first frame is the sender's routing id, within the limit too.
        let limit = codec.limits.maximumMessageBytes + (isBound ? 256 : 0)
        guard let (received, userID, dropped) = try socket.receiveWithUserID(timeout: 0, limit: limit) else { return nil }
        var frames = received
        var peer = connectedPeer
        if isBound {
            guard !frames.isEmpty else { return nil }
            peer = PeerID(bytes: frames.removeFirst())
        }
        if let dropped {
            // What libzmq held for it goes back to the system, not to this process's heap.
            if dropped >= 64 << 20 { AllocatorTuning.releaseFreeMemory() }
            return Delivery(peer: peer, envelope: .failure(WireError(.limitExceeded, "a message of \(dropped) bytes or more exceeds the limit of \(codec.limits.maximumMessageBytes) bytes; it was dropped unread")),
                            byteCount: dropped, authenticatedID: userID)
        }
        return Delivery(decoding: frames, from: peer, codec: codec, authenticatedID: userID)
    }

    var refusedHandshakes: Int { refusals.count }

    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func close() {
        // libzmq's I/O thread blocks on monitor events no one reads: stop them, then the reader.
        if !isClosed {
            socket.stopMonitor()
            monitor.stop()
        }
        isClosed = true
        // A last message (a worker's bye) still goes out if the process ends through
        // `Transport.finish`.
        socket.close(linger: 1)
    }

    private func drainWakeUps() {
        var drain = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &drain, drain.count) > 0 {}
    }
}

/// A connected channel's last handshake failure, shared with its monitor's thread.
private final class LastHandshake: Sendable {
    let failure = Mutex<HandshakeFailure?>(nil)
}
