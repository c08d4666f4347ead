import DequeModule
import Foundation
import Synchronization
import TesseraTrace
import TesseraTransport
import TesseraWire

/// The forwards a worker has in hand: each puts one of its tensors on another worker, on its own
/// thread with its own socket, and holds both for up to ``timeout`` seconds. At most
/// ``maximumRunning`` run at once and ``maximumWaiting`` more wait their turn in order (a
/// Beaver triple's moves come six at a time); beyond that a forward is refused, so a peer that
/// asks for forwards to an endpoint that never answers cannot pile up threads or sockets.
/// Used from the worker's serving thread only.
final class Forwarder {
    /// One forward: who asked, and its answer once the other worker gave it.
    final class Forward: Sendable {
        let replyTo: UInt64
        let sender: PeerID?
        let start = TraceEvent.now()
        let result = Mutex<Message?>(nil)
        fileprivate let put: Message
        fileprivate let endpoint: String
        fileprivate let security: ChannelSecurity

        fileprivate init(replyTo: UInt64, sender: PeerID?, put: Message, endpoint: String, security: ChannelSecurity) {
            self.replyTo = replyTo
            self.sender = sender
            self.put = put
            self.endpoint = endpoint
            self.security = security
        }
    }

    /// Forwards running at once.
    static let maximumRunning = 16
    /// Forwards waiting for one of those to finish.
    static let maximumWaiting = 1_024
    /// Seconds a forward waits for the other worker's answer.
    static let timeout = 30.0

    private var running: [Forward] = []
    private var waiting = Deque<Forward>()
    private let limits: WireLimits
    private let tracer: TraceWriter?
    private let transport: Transport

    /// Forwards over `transport`, with the worker's message `limits` and `tracer`.
    init(limits: WireLimits, tracer: TraceWriter?, transport: Transport) {
        self.limits = limits
        self.tracer = tracer
        self.transport = transport
    }

    /// Whether any forward is running or waiting.
    var isEmpty: Bool { running.isEmpty && waiting.isEmpty }

    /// Puts `put` on the worker at `endpoint` (reached with `security`), now or when a running
    /// forward finishes; returns false, doing nothing, when the waiting line is full.
    func enqueue(_ put: Message, to endpoint: String, security: ChannelSecurity, replyTo: UInt64, sender: PeerID?) -> Bool {
        guard waiting.count < Self.maximumWaiting else { return false }
        waiting.append(Forward(replyTo: replyTo, sender: sender, put: put, endpoint: endpoint, security: security))
        startWaiting()
        return true
    }

    /// The forwards that finished since the last call, with their answers (`done`, or the
    /// other worker's error, or why it could not be reached); waiting ones start in their place.
    func takeFinished() -> [(Forward, Message)] {
        // Each result is read once: one that finishes meanwhile is taken on the next call.
        let finished = running.compactMap { forward in forward.result.withLock { $0 }.map { (forward, $0) } }
        running.removeAll { forward in finished.contains { $0.0 === forward } }
        startWaiting()
        return finished
    }

    private func startWaiting() {
        while running.count < Self.maximumRunning, let forward = waiting.popFirst() {
            running.append(forward)
            let (limits, tracer, transport) = (limits, tracer, transport)
            let thread = Thread {
                let result: Message
                do {
                    let peer = try RequestClient(connectingTo: forward.endpoint, limits: limits, security: forward.security,
                                                 tracer: tracer, transport: transport)
                    defer { peer.channel.close() }
                    let answer = try peer.request(forward.put, timeout: Self.timeout)
                    result = if case .error = answer { answer } else { .done(objectCount: 0, byteCount: 0) }
                } catch {
                    result = .errorReply(for: WorkerError.forwardFailed(endpoint: forward.endpoint, reason: "\(error)"))
                }
                forward.result.withLock { $0 = result }
            }
            thread.name = "tessera.forward"
            thread.start()
        }
    }
}
