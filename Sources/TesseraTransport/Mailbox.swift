import Foundation
import Synchronization
import TesseraTrace
import TesseraWire

/// An asynchronous request/reply channel to one peer over a DEALER socket.
///
/// The socket lives on a dedicated thread (libzmq sockets are not thread-safe, and blocking
/// calls must stay off Swift's cooperative pool); callers hand requests over through a queue
/// and a wake-up pipe, and await the reply whose reply-to matches. Requests not answered
/// within their timeout fail with ``TransportError`` (`.timeout`) — the clear error for a peer
/// that is gone. Replies nobody waits for (to fire-and-forget sends) are dropped.
public final class Mailbox: @unchecked Sendable {
    // @unchecked: `state` is guarded by its mutex; the socket is used only by the I/O thread
    // (its codec, immutable, also by callers); `wakeWrite`/`wakeRead` are file descriptors (write(2) is thread-safe).
    private struct Waiter {
        let continuation: CheckedContinuation<Message, any Error>
        let deadline: Date
    }

    private struct State {
        var outgoing: [Envelope] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 1
        var closed = false
    }

    private let state = Mutex(State())
    private let context: ZMQContext
    private let socket: MessageSocket
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopped = Atomic<Bool>(false)
    /// The peer's endpoint.
    public let endpoint: String

    /// A mailbox connected to `endpoint`, with its I/O thread running.
    ///
    /// - Throws: ``TransportError`` when the socket or pipe cannot be made.
    public init(connectingTo endpoint: String, limits: WireLimits = WireLimits(), tracer: TraceWriter? = nil) throws {
        context = try ZMQContext()
        let zmq = try ZMQSocket(.dealer, context: context, maximumMessageBytes: limits.maximumMessageBytes)
        try zmq.connect(endpoint)
        socket = MessageSocket(zmq, codec: WireCodec(limits: limits), tracer: tracer, peerName: endpoint)
        self.endpoint = endpoint
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TransportError(.zmq, "pipe: errno \(errno)") }
        (wakeRead, wakeWrite) = (fds[0], fds[1])
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
        let thread = Thread { [self] in self.loop() }
        thread.name = "tessera.mailbox"
        thread.start()
    }

    /// Stops the I/O thread; waiting requests fail with `.closed`.
    public func close() {
        stopped.store(true, ordering: .releasing)
        wake()
    }

    deinit {
        closeDescriptor(wakeRead)
        closeDescriptor(wakeWrite)
    }

    /// Sends `message` and returns the reply.
    ///
    /// - Throws: ``TransportError`` on timeout or when closed; ``WireError`` when the message
    ///   cannot be encoded.
    public func request(_ message: Message, timeout: Double = 30) async throws -> Message {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try enqueue(message, waiter: { Waiter(continuation: continuation, deadline: Date().addingTimeInterval(timeout)) })
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Sends `message` without waiting for its reply.
    public func post(_ message: Message) throws {
        try enqueue(message, waiter: nil)
    }

    private func enqueue(_ message: Message, waiter: (() -> Waiter)?) throws {
        let id = state.withLock { state -> UInt64? in
            guard !state.closed else { return nil }
            defer { state.nextID += 1 }
            return state.nextID
        }
        guard let id else { throw TransportError(.closed, "mailbox to \(endpoint) is closed") }
        let envelope = Envelope(id: id, message: message)
        // Encode here, on the caller's thread, so encoding errors reach the caller.
        _ = try socket.codec.encode(envelope)
        state.withLock { state in
            if let waiter { state.waiters[id] = waiter() }
            state.outgoing.append(envelope)
        }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func loop() {
        var drain = [UInt8](repeating: 0, count: 64)
        while !stopped.load(ordering: .acquiring) {
            let outgoing = state.withLock { state -> [Envelope] in
                defer { state.outgoing.removeAll() }
                return state.outgoing
            }
            for envelope in outgoing {
                do {
                    try socket.send(envelope)
                } catch {
                    fail(id: envelope.id, with: error)
                }
            }
            if (try? socket.socket.wait(timeout: 0)) != true {
                _ = socket.socket.waitWithDescriptor(wakeRead, timeout: 0.05)
                _ = read(wakeRead, &drain, drain.count)
            }
            while let received = try? socket.receive(timeout: 0) {
                guard case let .success(envelope) = received.envelope else { continue }
                let waiter = state.withLock { $0.waiters.removeValue(forKey: envelope.replyTo) }
                waiter?.continuation.resume(returning: envelope.message)
            }
            expire()
        }
        let remaining = state.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in remaining {
            waiter.continuation.resume(throwing: TransportError(.closed, "mailbox to \(endpoint) closed"))
        }
    }

    private func expire() {
        let now = Date()
        let expired = state.withLock { state -> [Waiter] in
            let ids = state.waiters.filter { $0.value.deadline < now }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0) }
        }
        for waiter in expired {
            waiter.continuation.resume(throwing: TransportError(.timeout, "\(endpoint) did not answer in time (is the peer gone?)"))
        }
    }

    private func fail(id: UInt64, with error: any Error) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(throwing: error)
    }
}

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
