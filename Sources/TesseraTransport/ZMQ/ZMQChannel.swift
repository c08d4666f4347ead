import Foundation
import TesseraTensor
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
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var isClosed = false
    let codec: WireCodec
    let address: String
    /// How a connected channel's peer is named in deliveries.
    private let connectedPeer: PeerID

    /// A ROUTER bound to `endpoint` or a DEALER connected to it (named `identity`, if given).
    ///
    /// - Throws: ``TransportError``: a bad endpoint, an address in use, no pipe.
    init(context: ZMQContext, bindingTo endpoint: String?, connectingTo remote: String?, identity: String?, codec: WireCodec,
         queueLimit: Int?, curve: Curve?, connectionLimit: Int? = nil) throws {
        self.codec = codec
        isBound = endpoint != nil
        // A ROUTER drops what a peer's full queue cannot take; a DEALER would wait for room
        // forever, so its sends give up after ``sendTimeout``.
        socket = try ZMQSocket(isBound ? .router : .dealer, context: context, identity: identity,
                               maximumMessageBytes: codec.limits.maximumMessageBytes, queueLimit: queueLimit,
                               sendTimeout: isBound ? nil : Self.sendTimeout)
        switch curve {
        case let .server(secretKey, domain): try socket.makeCurveServer(secretKey: secretKey, domain: domain)
        case let .client(keys, serverKey): try socket.makeCurveClient(keys: keys, serverKey: serverKey)
        case nil: break
        }
        if let endpoint {
            connections = try ConnectionGuard(watching: socket, context: context, limit: connectionLimit ?? DescriptorLimit.connectionLimit())
            try socket.bind(endpoint)
            address = try socket.lastEndpoint()
        } else {
            connections = nil
            let remote = remote ?? ""
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
    /// peer not yet there) before it fails with a timeout.
    static let sendTimeout = 30.0

    deinit {
        // A channel dropped unclosed stops its connection guard's thread too.
        if !isClosed { close() }
        _ = Foundation.close(wakeRead)
        _ = Foundation.close(wakeWrite)
    }

    func send(_ message: EncodedMessage, to peer: PeerID?) throws {
        try sendRaw(message.frames, to: peer)
    }

    func sendRaw(_ frames: [Data], to peer: PeerID?) throws {
        guard !isClosed else { throw TransportError(.closed, "the channel at \(address) is closed") }
        if isBound {
            guard let peer else { throw TransportError(.protocolViolation, "a bound channel needs a peer to send to") }
            try socket.send([peer.bytes] + frames)
        } else {
            try socket.send(frames)
        }
    }

    func receive(timeout: Double?) throws -> Delivery? {
        guard !isClosed else { throw TransportError(.closed, "the channel at \(address) is closed") }
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
        let bytes = frames.reduce(0) { $0 + $1.count }
        do {
            return Delivery(peer: peer, envelope: .success(try codec.decode(frames)), byteCount: bytes, authenticatedID: userID)
        } catch let error as WireError {
            return Delivery(peer: peer, envelope: .failure(error), byteCount: bytes, authenticatedID: userID)
        }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func close() {
        // libzmq's I/O thread blocks on monitor events no one reads: stop them, then the reader.
        if let connections {
            socket.stopMonitor()
            connections.stop()
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
