import CZMQ

/// A libzmq context: owns the I/O threads behind every socket made from it.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked: libzmq documents contexts as thread-safe; the handle never changes.
    let handle: UnsafeMutableRawPointer

    /// A new context with libzmq's defaults (one I/O thread).
    ///
    /// - Throws: ``TransportError`` when libzmq cannot create one.
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw TransportError.lastZMQError("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        zmq_ctx_term(handle)
    }
}
