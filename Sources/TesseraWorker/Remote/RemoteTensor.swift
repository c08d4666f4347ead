import TesseraTensor
import TesseraWire

/// A pointer to a tensor that lives on a worker (PySyft's pointer tensor). Ops on it run on
/// that worker and return new pointers; `get()` brings the value back; when the last reference
/// goes away, the worker frees the tensor.
public final class RemoteTensor: Sendable {
    /// The worker holding the tensor.
    public let worker: RemoteWorker
    /// Its id in the worker's store.
    public let id: TensorID

    init(worker: RemoteWorker, id: TensorID) {
        self.worker = worker
        self.id = id
    }

    deinit {
        worker.release(id)
    }

    /// The tensor's value, copied from the worker.
    ///
    /// - Throws: ``RemoteError`` or a transport error.
    public func get() async throws -> Tensor {
        guard case let .tensor(_, tensor) = try await worker.request(.get(id: id)) else {
            throw RemoteError(worker: worker.name, code: WireError.Kind.requestFailed.rawValue, message: "get \(id) did not return a tensor")
        }
        return tensor
    }

    /// Runs `op` on the worker with this tensor first and `others` after it (all on the same
    /// worker), returning a pointer to the result.
    ///
    /// - Throws: ``RemoteError`` (for example a shape error, with both shapes), or
    ///   ``RemoteTensorError`` when an operand lives on another worker.
    public func apply(_ op: Op, _ others: [RemoteTensor] = []) async throws -> RemoteTensor {
        if let stranger = others.first(where: { $0.worker !== worker }) {
            throw RemoteTensorError(description: "\(op.name): operand lives on \(stranger.worker.name), not \(worker.name); move it first")
        }
        let result = worker.makeID()
        _ = try await worker.request(.exec(PlanStep(op: op, inputs: [id] + others.map(\.id), output: result)))
        return RemoteTensor(worker: worker, id: result)
    }

    /// Copies the tensor to `destination` directly from worker to worker (the data does not
    /// pass through this client) and returns a pointer there; the original is freed when this
    /// pointer is released.
    public func move(to destination: RemoteWorker) async throws -> RemoteTensor {
        let target = destination.makeID()
        _ = try await worker.request(.forward(id: id, endpoint: destination.endpoint, target: target))
        return RemoteTensor(worker: destination, id: target)
    }

    /// Makes this tensor a gradient-recording leaf on its worker (clearing any gradient).
    public func requireGrad() async throws {
        _ = try await worker.request(.requireGrad(id: id))
    }

    /// Back-propagates from this one-element tensor on its worker; gradients stay there.
    public func backward() async throws {
        _ = try await worker.request(.backward(id: id))
    }

    /// A pointer to the gradient accumulated on this leaf, on the same worker.
    public func grad() async throws -> RemoteTensor {
        let output = worker.makeID()
        _ = try await worker.request(.gradient(id: id, output: output))
        return RemoteTensor(worker: worker, id: output)
    }

    /// `self + other` on the worker.
    public func adding(_ other: RemoteTensor) async throws -> RemoteTensor { try await apply(.add, [other]) }
    /// `self - other` on the worker.
    public func subtracting(_ other: RemoteTensor) async throws -> RemoteTensor { try await apply(.subtract, [other]) }
    /// `self * other` on the worker.
    public func multiplying(_ other: RemoteTensor) async throws -> RemoteTensor { try await apply(.multiply, [other]) }
    /// `self · other` on the worker.
    public func matmul(_ other: RemoteTensor) async throws -> RemoteTensor { try await apply(.matmul, [other]) }
    /// ReLU on the worker.
    public func relu() async throws -> RemoteTensor { try await apply(.relu) }
    /// Sum over `axes` (nil: all) on the worker.
    public func sum(alongAxes axes: [Int]? = nil) async throws -> RemoteTensor {
        try await apply(.sum(axes: axes, keepDimensions: false))
    }
}

/// A remote operation that cannot be sent as asked.
public struct RemoteTensorError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension Tensor {
    /// Stores this tensor on `worker` and returns a pointer to it.
    ///
    /// - Throws: ``RemoteError`` (for example when the worker's store is full).
    public func send(to worker: RemoteWorker) async throws -> RemoteTensor {
        let id = worker.makeID()
        _ = try await worker.request(.put(id: id, tensor: self))
        return RemoteTensor(worker: worker, id: id)
    }
}
