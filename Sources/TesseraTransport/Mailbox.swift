import Foundation
import Synchronization
import TesseraTrace
import TesseraWire

/// An asynchronous request/reply channel to one peer over a connected ``MessageChannel``.
///
/// The channel lives on a dedicated thread (ZeroMQ sockets are not thread-safe, and blocking
/// calls must stay off Swift's cooperative pool); callers hand requests over through a queue
/// and the channel's ``MessageChannel/wake()``, and await the reply whose reply-to matches.
/// Requests not answered within their timeout fail with ``TransportError`` (`.timeout`) — the
/// clear error for a peer that is gone. Replies nobody waits for (to fire-and-forget sends)
/// are dropped.
public final class Mailbox: @unchecked Sendable {
    // @unchecked: `state` is guarded by its mutex; the channel is used only by the I/O thread
    // (its codec, immutable, and `wake()`, thread-safe, also by callers).
    private struct Waiter {
        let continuation: CheckedContinuation<Message, any Error>
        let deadline: Date
    }

    private struct State {
        var outgoing: [EncodedMessage] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 1
        var closed = false
    }

    private let state = Mutex(State())
    private let channel: any MessageChannel
    private let stopped = Atomic<Bool>(false)
    /// The peer's endpoint.
    public var endpoint: String { channel.address }

    /// A mailbox on `channel` (connected), with its I/O thread running.
    public init(channel: any MessageChannel) {
        self.channel = channel
        let thread = Thread { [self] in self.loop() }
        thread.name = "tessera.mailbox"
        thread.start()
    }

    /// A mailbox connected to `endpoint` through `transport`.
    ///
    /// - Throws: ``TransportError`` when the endpoint is malformed.
    public convenience init(connectingTo endpoint: String, limits: WireLimits = WireLimits(), tracer: TraceWriter? = nil,
                            transport: Transport = .zeroMQ, security: ChannelSecurity = .none) throws {
        self.init(channel: try transport.connect(endpoint, limits: limits, security: security, tracer: tracer))
    }

    /// Stops the I/O thread; waiting requests fail with `.closed`.
    public func close() {
        stopped.store(true, ordering: .releasing)
        channel.wake()
    }

    /// Sends `message` and returns the reply.
    ///
    /// - Throws: ``TransportError`` on timeout or when closed; ``/TesseraWire/WireError`` when the message
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
        // Encode here, on the caller's thread, so encoding errors reach the caller.
        let encoded = try EncodedMessage(Envelope(id: id, message: message), codec: channel.codec)
        state.withLock { state in
            if let waiter { state.waiters[id] = waiter() }
            state.outgoing.append(encoded)
        }
        channel.wake()
    }

    private func loop() {
        while !stopped.load(ordering: .acquiring) {
            let outgoing = state.withLock { state -> [EncodedMessage] in
                defer { state.outgoing.removeAll() }
                return state.outgoing
            }
            for message in outgoing {
                do {
                    try channel.send(message, to: nil)
                } catch {
                    fail(id: message.envelope.id, with: error)
                }
            }
            // Wait for a reply or a wake-up (new requests, close); then take all that arrived.
            var timeout = 0.05
            while let received = try? channel.receive(timeout: timeout) {
                timeout = 0
                guard case let .success(envelope) = received.envelope else { continue }
                let waiter = state.withLock { $0.waiters.removeValue(forKey: envelope.replyTo) }
                waiter?.continuation.resume(returning: envelope.message)
            }
            expire()
        }
        channel.close()
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
