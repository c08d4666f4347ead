import CZMQ
import Foundation

/// One ZeroMQ socket. Not thread-safe (libzmq sockets are not): use it from one thread. Only
/// ``ZMQChannel`` uses it; everything else opens channels through ``Transport``.
final class ZMQSocket {
    /// The socket types Tessera uses.
    enum Kind {
        case router, dealer, reply, pair

        var value: Int32 {
            switch self {
            case .pair: ZMQ_PAIR
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            case .reply: ZMQ_REP
            }
        }
    }

    private var handle: UnsafeMutableRawPointer?
    private let context: ZMQContext

    /// A socket of `kind` in `context`, with linger 0 (closing never blocks on unsent data)
    /// and, when given, a routing `identity` (a DEALER's name as a ROUTER sees it), a largest
    /// frame accepted (`ZMQ_MAXMSGSIZE`), high-water marks (`queueLimit` messages per peer) and
    /// the longest a send may wait for room in the queue (`sendTimeout` seconds, `ZMQ_SNDTIMEO`).
    ///
    /// - Throws: ``TransportError``.
    init(_ kind: Kind, context: ZMQContext, identity: String? = nil, maximumMessageBytes: Int? = nil, queueLimit: Int? = nil,
         sendTimeout: Double? = nil) throws {
        guard let handle = zmq_socket(context.handle, kind.value) else { throw TransportError.lastZMQError("zmq_socket") }
        self.handle = handle
        self.context = context
        try setOption(ZMQ_LINGER, Int32(0))
        if let identity { try setOption(ZMQ_ROUTING_ID, bytes: Array(identity.utf8)) }
        if let maximumMessageBytes { try setOption(ZMQ_MAXMSGSIZE, Int64(maximumMessageBytes)) }
        if let queueLimit {
            try setOption(ZMQ_RCVHWM, Int32(clamping: queueLimit))
            try setOption(ZMQ_SNDHWM, Int32(clamping: queueLimit))
        }
        if let sendTimeout { try setOption(ZMQ_SNDTIMEO, Int32(clamping: Int(sendTimeout * 1000))) }
    }

    deinit {
        close()
    }

    /// Closes the socket (idempotent); later calls fail with `.closed`. Messages still queued
    /// get `linger` seconds to go out, while the context lives (``ZMQContext/terminate(within:)``).
    func close(linger: Double = 0) {
        guard let handle else { return }
        if linger > 0 { try? setOption(ZMQ_LINGER, Int32(linger * 1000)) }
        zmq_close(handle)
        self.handle = nil
    }

    /// The open socket's handle.
    private func open() throws -> UnsafeMutableRawPointer {
        guard let handle else { throw TransportError(.closed, "the socket is closed") }
        return handle
    }

    /// Binds to `endpoint` (`tcp://127.0.0.1:5555`, `tcp://*:0`, `ipc:///tmp/x`).
    func bind(_ endpoint: String) throws {
        guard zmq_bind(try open(), endpoint) == 0 else { throw TransportError.lastZMQError("bind \(endpoint)") }
    }

    /// Connects to `endpoint`; libzmq reconnects by itself if the peer goes away.
    func connect(_ endpoint: String) throws {
        guard zmq_connect(try open(), endpoint) == 0 else { throw TransportError.lastZMQError("connect \(endpoint)") }
    }

    /// Stops connecting to `endpoint` (nothing happens when it was not connected).
    func disconnect(_ endpoint: String) {
        guard let handle else { return }
        zmq_disconnect(handle, endpoint)
    }

    /// Publishes this socket's `events` (ZMQ_EVENT_*) on the inproc `endpoint`, for a PAIR
    /// socket connected there.
    func monitor(_ endpoint: String, events: Int32) throws {
        guard zmq_socket_monitor(try open(), endpoint, events) == 0 else { throw TransportError.lastZMQError("zmq_socket_monitor") }
    }

    /// Stops publishing events (before the socket reading them closes: libzmq's sends to it
    /// block its I/O thread, and every socket with it, while no one reads).
    func stopMonitor() {
        guard let handle else { return }
        zmq_socket_monitor(handle, nil, 0)
    }

    /// The endpoint actually bound (resolves `tcp://*:0` to the chosen port).
    func lastEndpoint() throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(try open(), ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw TransportError.lastZMQError("ZMQ_LAST_ENDPOINT")
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func setOption<T: BitwiseCopyable>(_ option: Int32, _ value: T) throws {
        var copy = value
        guard zmq_setsockopt(try open(), option, &copy, MemoryLayout<T>.size) == 0 else {
            throw TransportError.lastZMQError("zmq_setsockopt \(option)")
        }
    }

    /// Makes this socket a CURVE server with `secretKey` (Z85), authenticated through the ZAP
    /// handler under `domain`. Before bind.
    func makeCurveServer(secretKey: String, domain: String) throws {
        try setOption(ZMQ_CURVE_SERVER, Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: try CurveKeyPair.bytes(of: secretKey))
        try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8))
    }

    /// Makes this socket a CURVE client with `keys`, accepting only the server whose public key
    /// is `serverKey` (Z85). Before connect.
    func makeCurveClient(keys: CurveKeyPair, serverKey: String) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: try CurveKeyPair.bytes(of: serverKey))
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: try CurveKeyPair.bytes(of: keys.publicKey))
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: try CurveKeyPair.bytes(of: keys.secretKey))
    }

    func setOption(_ option: Int32, bytes: [UInt8]) throws {
        let handle = try open()
        guard bytes.withUnsafeBytes({ zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }) == 0 else {
            throw TransportError.lastZMQError("zmq_setsockopt \(option)")
        }
    }

    /// Sends `frames` as one multipart message; returns false when its first frame could not
    /// go within the socket's send timeout (no room, or no peer yet) or the wait was
    /// interrupted by a signal: nothing was sent, and the caller may try again. Frames of 64 KiB
    /// or more are handed to libzmq without copying (it releases them when sent).
    @discardableResult
    func send(_ frames: [Data]) throws -> Bool {
        let handle = try open()
        for (index, frame) in frames.enumerated() {
            let flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            var message = zmq_msg_t()
            if frame.count >= 1 << 16, let borrowed = FrameBox(frame) {
                let box = Unmanaged.passRetained(borrowed)
                let pointer = box.takeUnretainedValue().pointer
                let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
                    if let hint { Unmanaged<FrameBox>.fromOpaque(hint).release() }
                }
                guard zmq_msg_init_data(&message, pointer, frame.count, release, box.toOpaque()) == 0 else {
                    box.release()
                    throw TransportError.lastZMQError("zmq_msg_init_data")
                }
            } else {
                guard zmq_msg_init_size(&message, frame.count) == 0 else { throw TransportError.lastZMQError("zmq_msg_init_size") }
                if frame.count > 0, let target = zmq_msg_data(&message) {
                    frame.withUnsafeBytes { source in
                        if let base = source.baseAddress { target.copyMemory(from: base, byteCount: frame.count) }
                    }
                }
            }
            guard zmq_msg_send(&message, handle, flags) >= 0 else {
                let number = zmq_errno()
                zmq_msg_close(&message)
                // A multipart message goes whole or not at all: only its first frame waits.
                if index == 0 && (number == EAGAIN || number == EINTR) { return false }
                throw TransportError.lastZMQError("send")
            }
        }
        return true
    }

    /// Receives one multipart message, waiting at most `timeout` seconds (nil: forever).
    /// Returns nil on timeout.
    func receive(timeout: Double?) throws -> [Data]? {
        try receiveWithUserID(timeout: timeout)?.frames
    }

    /// Receives one multipart message with the user id the ZAP handler gave its sender (nil on
    /// unauthenticated sockets). With `limit`, frames past that many bytes in all are read and
    /// let go at once (libzmq holds a whole message before it is read, but none of it is kept
    /// here): the message comes back with only the frames before, and `dropped` counts the bytes
    /// of all.
    func receiveWithUserID(timeout: Double?, limit: Int? = nil) throws -> (frames: [Data], userID: String?, dropped: Int?)? {
        guard try wait(timeout: timeout) else { return nil }
        let handle = try open()
        var frames: [Data] = []
        var userID: String?
        var total = 0
        var over = false
        repeat {
            // Frames of 64 KiB or more are wrapped, not copied: the Data owns the libzmq message
            // and closes it when released.
            let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
            zmq_msg_init(message)
            guard zmq_msg_recv(message, handle, 0) >= 0 else {
                zmq_msg_close(message)
                message.deallocate()
                throw TransportError.lastZMQError("receive")
            }
            if userID == nil, let property = zmq_msg_gets(message, "User-Id") { userID = String(cString: property) }
            let size = zmq_msg_size(message)
            total += size
            if let limit, total > limit { over = true }
            if over {
                zmq_msg_close(message)
                message.deallocate()
            } else if size >= 1 << 16, let bytes = zmq_msg_data(message) {
                frames.append(Data(bytesNoCopy: bytes, count: size, deallocator: .custom { _, _ in
                    zmq_msg_close(message)
                    message.deallocate()
                }))
            } else {
                frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(message), count: size))
                zmq_msg_close(message)
                message.deallocate()
            }
        } while try more()
        return (frames, userID, over ? total : nil)
    }

    /// Whether a message arrives within `timeout` seconds (nil: waits forever). Whether one is
    /// waiting now is asked of the socket alone (`ZMQ_EVENTS`): `zmq_poll` would also poll
    /// its descriptor first, a second system call.
    func wait(timeout: Double?) throws -> Bool {
        if try hasMessage() { return true }
        if timeout == 0 { return false }
        var item = zmq_pollitem_t(socket: try open(), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let milliseconds = timeout.map { Int($0 * 1000) } ?? -1
        let result = zmq_poll(&item, 1, milliseconds)
        if result < 0 {
            if zmq_errno() == EINTR { return false }
            throw TransportError.lastZMQError("poll")
        }
        return result > 0
    }

    /// Waits until a message arrives or `descriptor` becomes readable, at most `timeout`
    /// seconds. Returns whether the socket has a message.
    func waitWithDescriptor(_ descriptor: Int32, timeout: Double?) throws -> Bool {
        let handle = try open()
        var items = [
            zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: nil, fd: descriptor, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        let result = zmq_poll(&items, 2, timeout.map { Int($0 * 1000) } ?? -1)
        if result < 0 {
            if zmq_errno() == EINTR { return false }
            throw TransportError.lastZMQError("poll")
        }
        guard result > 0 else { return false }
        return items[0].revents & Int16(ZMQ_POLLIN) != 0
    }

    /// Whether a message can be taken now (`ZMQ_EVENTS`); false when interrupted by a signal.
    private func hasMessage() throws -> Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try open(), ZMQ_EVENTS, &events, &size) == 0 else {
            if zmq_errno() == EINTR { return false }
            throw TransportError.lastZMQError("ZMQ_EVENTS")
        }
        return events & Int32(ZMQ_POLLIN) != 0
    }

    private func more() throws -> Bool {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try open(), ZMQ_RCVMORE, &value, &size) == 0 else { throw TransportError.lastZMQError("ZMQ_RCVMORE") }
        return value != 0
    }
}

/// Keeps a frame's bytes alive until libzmq has sent them.
private final class FrameBox {
    /// Held so the bytes stay alive until libzmq releases the message.
    let frame: Data
    let pointer: UnsafeMutableRawPointer

    /// Borrows `frame`'s bytes. Only for large frames: those live in a heap buffer that does not
    /// move while the Data is held and unmodified (small ones may sit inline in the value), so
    /// the pointer stays valid after `withUnsafeBytes` returns. (`frame as NSData`, the obvious
    /// way to a stable pointer, copies the whole frame on Linux.)
    init?(_ frame: Data) {
        self.frame = frame
        guard let base = frame.withUnsafeBytes({ $0.baseAddress }) else { return nil }
        pointer = UnsafeMutableRawPointer(mutating: base)
    }
}
