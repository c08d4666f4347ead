import Foundation
import Synchronization
import TesseraTensor
import TesseraTransport
import TesseraWire

/// A worker process seen from a client: PySyft's "virtual worker", over ZeroMQ and async/await.
///
/// ```swift
/// let bob = try RemoteWorker(name: "bob", endpoint: "tcp://127.0.0.1:5556")
/// let x = try await Tensor([1, 2, 3, 4], shape: [2, 2]).send(to: bob)
/// let y = try await x.matmul(x).relu()      // runs on bob
/// print(try await y.get())                  // brought back
/// ```
///
/// Tensor ids are allocated here, from a random base, so several clients can share a worker.
/// Tensors whose last ``RemoteTensor`` reference goes away are deleted on the worker in
/// batches (sent with the next request, or by ``flushDeletions()``).
public final class RemoteWorker: Sendable {
    /// The worker's name.
    public let name: String
    /// The endpoint it is bound to, as this client reaches it (also used by other workers for
    /// `move(to:)`, so it must be reachable from them too).
    public let endpoint: String
    private let mailbox: Mailbox
    private let ids: Atomic<UInt64>
    /// Seconds to wait for a reply before giving up on the worker.
    public let timeout: Double
    private let pendingDeletions = Mutex<[TensorID]>([])
    /// Deletions are sent once this many are pending, or with the next request.
    static let deletionBatch = 64

    /// A client for the worker bound at `endpoint`; with `security` `.curveClient`, over CURVE
    /// to a worker holding the pinned key (started with `--keys`, admitting this client's key).
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` when the socket cannot be made.
    public init(name: String, endpoint: String, timeout: Double = 60, security: ChannelSecurity = .none) throws {
        self.name = name
        self.endpoint = endpoint
        self.timeout = timeout
        mailbox = try Mailbox(connectingTo: endpoint, security: security)
        ids = Atomic(UInt64.random(in: 1...(UInt64.max >> 8)) << 7)
    }

    deinit {
        mailbox.close()
    }

    /// A fresh tensor id on this worker (for plan steps' outputs).
    public func makeID() -> TensorID {
        ids.add(1, ordering: .relaxed).newValue
    }

    /// Sends `message` (after any pending deletions) and returns the reply, turning error
    /// replies into ``RemoteError``.
    func request(_ message: Message) async throws -> Message {
        try flushDeletionsIfAny()
        let reply = try await mailbox.request(message, timeout: timeout)
        if case let .error(code, text) = reply { throw RemoteError(worker: name, code: code, message: text) }
        return reply
    }

    /// Runs `steps` on the worker as one message.
    ///
    /// - Throws: ``RemoteError`` naming the failing step.
    public func run(_ steps: [PlanStep]) async throws {
        _ = try await request(.plan(steps))
    }

    /// The value of tensor `id` (for example a plan's output), copied from the worker.
    public func fetch(_ id: TensorID) async throws -> Tensor {
        guard case let .tensor(_, tensor) = try await request(.get(id: id)) else {
            throw RemoteError(worker: name, code: WireError.Kind.requestFailed.rawValue, message: "get \(id) did not return a tensor")
        }
        return tensor
    }

    /// Frees tensors `ids` now (ids a plan created, which no pointer owns).
    public func free(_ ids: [TensorID]) async throws {
        _ = try await request(.delete(ids: ids))
    }

    /// Checks that a worker answers at ``endpoint`` within `seconds` (its store's size is asked).
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` (`.timeout`) saying no worker answered there, or why the
    ///   connection was refused.
    public func reach(within seconds: Double) async throws {
        do {
            _ = try await mailbox.request(.delete(ids: []), timeout: seconds)
        } catch let error as TransportError where error.kind == .timeout {
            throw TransportError(.timeout, "no reply from \(endpoint) after \(Int(seconds)) s: is a worker running there? (tessera worker --bind \(endpoint) --id \(name))")
        }
    }

    /// How many tensors the worker holds and their bytes.
    public func storeSize() async throws -> (objects: UInt64, bytes: UInt64) {
        guard case let .done(objects, bytes) = try await request(.delete(ids: [])) else {
            throw RemoteError(worker: name, code: WireError.Kind.requestFailed.rawValue, message: "unexpected reply to delete")
        }
        return (objects, bytes)
    }

    /// Queues `id` for deletion on the worker.
    func release(_ id: TensorID) {
        let batch = pendingDeletions.withLock { pending -> [TensorID]? in
            pending.append(id)
            guard pending.count >= Self.deletionBatch else { return nil }
            defer { pending.removeAll() }
            return pending
        }
        if let batch { try? mailbox.post(.delete(ids: batch)) }
    }

    /// Sends the queued deletions now.
    public func flushDeletions() throws {
        try flushDeletionsIfAny()
    }

    private func flushDeletionsIfAny() throws {
        let batch = pendingDeletions.withLock { pending -> [TensorID] in
            defer { pending.removeAll() }
            return pending
        }
        if !batch.isEmpty { try mailbox.post(.delete(ids: batch)) }
    }
}

/// A worker refused or failed a request; `code` is the wire error code.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
    /// The worker's name.
    public let worker: String
    /// The error code from the reply (``/TesseraWire/WireError/Kind`` raw values).
    public let code: UInt16
    /// The worker's sentence.
    public let message: String

    public var description: String { "worker \(worker): \(message)" }
}

extension RemoteWorker {
    /// Runs ring `steps` on the worker as one message (secret-shared arithmetic).
    ///
    /// - Throws: ``RemoteError`` naming the failing step.
    public func runRing(_ steps: [RingStep]) async throws {
        _ = try await request(.ringPlan(steps))
    }

    /// The shape of stored tensor `id` (a tensor or a share), without its values.
    ///
    /// - Throws: ``RemoteError`` when the worker holds no tensor `id`.
    public func shape(of id: TensorID) async throws -> [Int] {
        guard case let .shape(_, shape, _) = try await request(.shapeOf(id: id)) else {
            throw RemoteError(worker: name, code: WireError.Kind.requestFailed.rawValue, message: "shape of \(id) did not return a shape")
        }
        return shape
    }

    /// The ring tensor `id` (a share), copied from the worker.
    ///
    /// - Throws: ``RemoteError`` when `id` is not a ring tensor there.
    public func fetchShare(_ id: TensorID) async throws -> RingTensor {
        guard case let .share(_, share) = try await request(.get(id: id)) else {
            throw RemoteError(worker: name, code: WireError.Kind.requestFailed.rawValue, message: "get \(id) did not return a ring tensor")
        }
        return share
    }
}

extension RingTensor {
    /// Stores this ring tensor on `worker` and returns a pointer to it.
    ///
    /// - Throws: ``RemoteError`` (for example when the worker's store is full).
    public func send(to worker: RemoteWorker) async throws -> RemoteTensor {
        let id = worker.makeID()
        _ = try await worker.request(.putShare(id: id, share: self))
        return RemoteTensor(worker: worker, id: id)
    }
}
