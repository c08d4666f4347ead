import CZMQ
import Foundation
import Logging
import Synchronization

/// Keeps a bound socket's connections under a limit, so that a flood of idle or slow TCP
/// connections cannot take every file descriptor of the process (its run's files need some):
/// libzmq accepts whatever comes and has no such limit, so this follows its monitor events
/// (``SocketMonitor``) and shuts down (`shutdown(2)`, which libzmq then closes as a dropped peer)
/// each connection accepted past the limit. Connections that never finish the ZeroMQ handshake
/// are dropped by libzmq itself after `ZMQ_HANDSHAKE_IVL` (30 s).
///
/// A connection closed between its accept event and this thread reading it leaves a number
/// the kernel may give to a new descriptor; shutting that one down would drop it too. The window
/// is the monitor's latency, and only connections past the limit are shut down.
final class ConnectionGuard: Sendable {
    /// The most connections kept.
    let limit: Int
    /// Guards the open connections' descriptors and the count refused.
    private let state = Mutex<(open: Set<Int32>, refused: Int)>(([], 0))

    /// Events the guard needs from its socket's monitor.
    static let events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED

    /// A guard keeping at most `limit` connections, told of them through ``note(_:value:)``.
    init(limit: Int) {
        self.limit = limit
    }

    /// Connections accepted past the limit and shut down so far.
    var refused: Int { state.withLock { $0.refused } }

    /// Connections open now.
    var open: Int { state.withLock { $0.open.count } }

    /// A monitor event of the socket guarded (the value is the connection's descriptor).
    func note(_ event: Int32, value: UInt32) {
        let descriptor = Int32(bitPattern: value)
        switch event {
        case ZMQ_EVENT_ACCEPTED:
            let refusedNow: Int? = state.withLock { state in
                guard state.open.count >= limit else {
                    state.open.insert(descriptor)
                    return nil
                }
                state.refused += 1
                return state.refused
            }
            guard let refusedNow else { return }
            _ = shutdown(descriptor, Int32(SHUT_RDWR))
            if refusedNow == 1 || refusedNow % 1_000 == 0 {
                Logger(label: "tessera.transport").warning("\(refusedNow) connection(s) refused: \(limit) are open, the most this process keeps (its open-file limit less what its files need)")
            }
        case ZMQ_EVENT_DISCONNECTED, ZMQ_EVENT_CLOSED:
            state.withLock { _ = $0.open.remove(descriptor) }
        default:
            return
        }
    }
}
