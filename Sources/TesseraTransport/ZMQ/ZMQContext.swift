import CZMQ
import Foundation

/// A libzmq context: owns the I/O threads behind every socket made from it. Kept for the
/// process's life (see ``Transport/finish(within:)``).
final class ZMQContext: @unchecked Sendable {
    // @unchecked: libzmq documents contexts as thread-safe; the handle never changes.
    let handle: UnsafeMutableRawPointer

    /// A new context with libzmq's defaults (one I/O thread).
    ///
    /// - Throws: ``TransportError`` when libzmq cannot create one.
    init() throws {
        guard let handle = zmq_ctx_new() else { throw TransportError.lastZMQError("zmq_ctx_new") }
        self.handle = handle
    }

    /// Ends the context once its closed sockets sent what they still queue (their linger),
    /// waiting at most `seconds`; a socket left open would block that forever, so the wait is
    /// bounded. Returns whether it ended in time.
    func terminate(within seconds: Double) -> Bool {
        let done = DispatchSemaphore(value: 0)
        let pointer = UInt(bitPattern: handle)
        let thread = Thread {
            zmq_ctx_term(UnsafeMutableRawPointer(bitPattern: pointer))
            done.signal()
        }
        thread.start()
        return done.wait(timeout: .now() + seconds) == .success
    }
}
