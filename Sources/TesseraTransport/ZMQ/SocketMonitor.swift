import CZMQ
import Foundation
import Synchronization

/// Part of the ZeroMQ implementation. Reads a socket's monitor events (ZMQ_EVENT_*: a
/// connection accepted, closed, its handshake failed) on a thread of its own and hands each to
/// a handler there, with the event's value (a descriptor, a status, a protocol error).
///
/// libzmq's I/O thread blocks on events no one reads: the socket must stop publishing
/// (``ZMQSocket/stopMonitor()``) before ``stop()`` stops the reading.
final class SocketMonitor: @unchecked Sendable {
    // @unchecked: the monitor socket is used only by the reading thread after `init`; `stopping`
    // is atomic.
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private static let counter = Atomic<Int>(0)

    /// Starts reading `events` of `socket` (in `context`), calling `handle(event, value)` for
    /// each on the monitor's thread, named `name`, until the socket stops publishing.
    ///
    /// - Throws: ``TransportError`` when libzmq cannot monitor the socket.
    init(_ socket: ZMQSocket, context: ZMQContext, events: Int32, name: String,
         handle: @escaping @Sendable (_ event: Int32, _ value: UInt32) -> Void) throws {
        let endpoint = "inproc://tessera-monitor-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: events | ZMQ_EVENT_MONITOR_STOPPED)
        let monitor = try ZMQSocket(.pair, context: context)
        try monitor.connect(endpoint)
        let handoff = Handoff(socket: monitor)
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                guard let frames = try? handoff.socket.receive(timeout: 0.2), let first = frames.first, first.count >= 6 else { continue }
                let event = first.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) }
                let value = first.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) }
                guard Int32(event) != ZMQ_EVENT_MONITOR_STOPPED else { break }
                handle(Int32(event), value)
            }
            handoff.socket.close()
            stopped.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the reading stopped; the socket watched must have stopped publishing first
    /// (its last event ends the reading at once).
    func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        stopped.wait()
    }

    /// The monitor socket on its way to the monitor's thread.
    private struct Handoff: @unchecked Sendable {
        // @unchecked: made on the channel's thread and used only on the monitor's from then
        // on; libzmq lets a socket move between threads across a memory barrier (starting a
        // thread is one).
        let socket: ZMQSocket
    }
}
