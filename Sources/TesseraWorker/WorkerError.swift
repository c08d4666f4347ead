import TesseraWire

/// Why a worker could not do what a request asked. Each case carries the facts; the wire
/// error code a reply carries is assigned at the boundary (``wireCode``), so the rest of the
/// worker does not deal in wire codes.
public indirect enum WorkerError: WireReportable, Sendable, Equatable {
    /// No tensor with this id is stored.
    case unknownTensor(TensorID)
    /// The object `id` holds the other kind: a ring tensor (a secret share) where a float tensor
    /// was asked for, or the reverse.
    case wrongKind(TensorID, holds: String, wanted: String)
    /// Storing would exceed the store's object limit.
    case objectLimit(id: TensorID, limit: Int)
    /// Storing would exceed the store's byte limit.
    case byteLimit(id: TensorID, bytes: Int, limit: Int)
    /// An op failed on its inputs (shapes, values).
    case opFailed(op: String, reason: String)
    /// An op's result (and working memory) would not fit in what the store has left; refused
    /// before anything was allocated.
    case resultTooLarge(op: String, shape: [Int], bytes: Int, available: Int)
    /// An exec or plan asks for more arithmetic than one request may (counted up to and
    /// including `op`); refused before any step ran.
    case tooMuchWork(op: String, operations: Int, limit: Int)
    /// A step of a plan failed; the steps before it ran (plans are not atomic).
    case planStepFailed(index: Int, op: String, WorkerError)
    /// `backward` from a tensor failed.
    case backwardFailed(TensorID, reason: String)
    /// A tensor has no gradient to read.
    case noGradient(TensorID)
    /// A message this worker does not accept (from whom it came, or at all).
    case notAccepted(kind: String, worker: String)
    /// A welcome's configuration that no worker could use (a client index out of range, …).
    case invalidConfiguration(String)
    /// A welcome this worker cannot act on (its configuration, or its data).
    case cannotJoin(worker: String, reason: String)
    /// A train or evaluate task before any welcome.
    case notJoined(worker: String, kind: String)
    /// A train or evaluate task while another runs.
    case busy(worker: String, running: String)
    /// A task's hyperparameters that cannot be used.
    case invalidHyperparameters(String)
    /// An evaluate task for a client that holds no data out.
    case noHeldOutData
    /// Training or evaluating a task failed.
    case taskFailed(kind: String, round: UInt64, reason: String)
    /// `forward` to another worker failed.
    case forwardFailed(endpoint: String, reason: String)
    /// `forward` to an endpoint this worker was not told belongs to its federation (why, in
    /// `reason`: see ``ForwardTargets``).
    case forwardRefused(endpoint: String, reason: String)
    /// A secure aggregation step this worker cannot take (out of turn, or refused by the protocol).
    case secureAggregation(worker: String, reason: String)

    /// The code an error reply carries for this error (docs/PROTOCOL.md): 7 for limits, else 100.
    public var wireCode: WireError.Kind {
        switch self {
        case .objectLimit, .byteLimit, .resultTooLarge, .tooMuchWork: .limitExceeded
        case let .planStepFailed(_, _, underlying): underlying.wireCode
        default: .requestFailed
        }
    }

    public var description: String {
        switch self {
        case let .unknownTensor(id): "no tensor with id \(id) on this worker"
        case let .wrongKind(id, holds, wanted): "tensor \(id) on this worker is \(holds), not \(wanted)"
        case let .objectLimit(id, limit): "storing tensor \(id) would exceed the limit of \(limit) objects"
        case let .byteLimit(id, bytes, limit): "storing tensor \(id) (\(bytes) bytes) would exceed the limit of \(limit) bytes"
        case let .opFailed(op, reason): "\(op) failed: \(reason)"
        case let .resultTooLarge(op, shape, bytes, available):
            "\(op) would make a \(shape) result needing \(bytes == .max ? "more than \(Int.max)" : String(bytes)) bytes with its working memory; the worker has \(available) bytes left (--max-bytes)"
        case let .tooMuchWork(op, operations, limit):
            "the request needs \(operations == .max ? "more than \(Int.max)" : "about \(operations)") operations by its \(op), over this worker's limit of \(limit) per request (--max-work); split it, or start the worker with a higher limit"
        case let .planStepFailed(index, op, underlying): "plan step \(index) (\(op)): \(underlying)"
        case let .backwardFailed(id, reason): "backward from \(id): \(reason)"
        case let .noGradient(id): "tensor \(id) has no gradient (not a leaf that requires grad, or no backward yet)"
        case let .notAccepted(kind, worker): "worker \(worker) does not accept \(kind) messages"
        case let .invalidConfiguration(reason): "the run's configuration cannot be used: \(reason)"
        case let .cannotJoin(worker, reason): "worker \(worker) cannot join the run: \(reason)"
        case let .notJoined(worker, kind): "worker \(worker) got a \(kind) before a welcome"
        case let .busy(worker, running): "worker \(worker) is still busy with a \(running)"
        case let .invalidHyperparameters(reason): "hyperparameters cannot be used: \(reason)"
        case .noHeldOutData: "this client holds no data out for evaluation (the run's held-out fraction is 0)"
        case let .taskFailed(kind, round, reason): "\(kind) of round \(round) failed: \(reason)"
        case let .forwardFailed(endpoint, reason): "forward to \(endpoint): \(reason)"
        case let .forwardRefused(endpoint, reason): "forward to \(endpoint) refused: \(reason)"
        case let .secureAggregation(worker, reason): "worker \(worker) cannot take this secure aggregation step: \(reason)"
        }
    }
}
