import CZMQ
import Foundation
import Logging
import Synchronization

/// Keeps a bound socket's connections under a limit, so that a flood of idle or slow TCP
/// connections cannot take every file descriptor of the process (its run's files need some):
/// libzmq accepts whatever comes and has no such limit, so this watches its monitor events on a
/// thread of its own and shuts down (`shutdown(2)`, which libzmq then closes as a dropped peer)
/// each connection accepted past the limit. Connections that never finish the ZeroMQ handshake
/// are dropped by libzmq itself after `ZMQ_HANDSHAKE_IVL` (30 s).
///
/// A connection closed between its accept event and this thread reading it leaves a number
/// the kernel may give to a new descriptor; shutting that one down would drop it too. The window
/// is the monitor's latency, and only connections past the limit are shut down.
final class ConnectionGuard: @unchecked Sendable {
    // @unchecked: the monitor socket is used only by the guard's thread after `init`;
    // `state` is behind its mutex.
    /// The most connections kept.
    let limit: Int
    /// Guards the open connections' descriptors, the count refused, and whether to stop.
    private let state = Mutex<(open: Set<Int32>, refused: Int, stopping: Bool)>(([], 0, false))
    private let stopped = DispatchSemaphore(value: 0)
    private static let counter = Atomic<Int>(0)

    /// Watches `socket` (bound, in `context`), keeping at most `limit` connections.
    ///
    /// - Throws: ``TransportError`` when libzmq cannot monitor the socket.
    init(watching socket: ZMQSocket, context: ZMQContext, limit: Int) throws {
        self.limit = limit
        let endpoint = "inproc://tessera-connections-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED)
        let monitor = try ZMQSocket(.pair, context: context)
        try monitor.connect(endpoint)
        let handoff = Handoff(socket: monitor)
        let thread = Thread { [self] in
            watch(handoff.socket)
            handoff.socket.close()
            stopped.signal()
        }
        thread.name = "tessera.connections"
        thread.start()
    }

    /// Connections accepted past the limit and shut down so far.
    var refused: Int { state.withLock { $0.refused } }

    /// Connections open now.
    var open: Int { state.withLock { $0.open.count } }

    /// Stops watching; the socket watched must have stopped publishing first
    /// (``ZMQSocket/stopMonitor()``).
    func stop() {
        state.withLock { $0.stopping = true }
        stopped.wait()
    }

    private func watch(_ monitor: ZMQSocket) {
        let logger = Logger(label: "tessera.transport")
        while !state.withLock({ $0.stopping }) {
            guard let frames = try? monitor.receive(timeout: 0.2), let first = frames.first, first.count >= 6 else { continue }
            let event = first.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) }
            let descriptor = first.withUnsafeBytes { Int32(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self))) }
            switch Int32(event) {
            case ZMQ_EVENT_ACCEPTED:
                let refusedNow: Int? = state.withLock { state in
                    guard state.open.count >= limit else {
                        state.open.insert(descriptor)
                        return nil
                    }
                    state.refused += 1
                    return state.refused
                }
                guard let refusedNow else { continue }
                _ = shutdown(descriptor, Int32(SHUT_RDWR))
                if refusedNow == 1 || refusedNow % 1_000 == 0 {
                    logger.warning("\(refusedNow) connection(s) refused: \(limit) are open, the most this process keeps (its open-file limit less what its files need)")
                }
            case ZMQ_EVENT_DISCONNECTED, ZMQ_EVENT_CLOSED:
                state.withLock { _ = $0.open.remove(descriptor) }
            default:
                continue
            }
        }
    }

    /// The monitor socket on its way to the guard's thread.
    private struct Handoff: @unchecked Sendable {
        // @unchecked: made on the channel's thread and used only on the guard's from then on;
        // libzmq lets a socket move between threads across a memory barrier (starting a thread
        // is one).
        let socket: ZMQSocket
    }
}
