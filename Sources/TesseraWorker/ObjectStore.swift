import TesseraTensor
import TesseraWire

/// A worker's objects by id, within configurable limits on count and bytes: float tensors and
/// ring tensors (secret shares), one object an id.
///
/// Results recorded for autograd keep their graph alive (the op's inputs, and theirs), also
/// after their id is overwritten: the bytes each op's record keeps and the work its backward
/// will take are counted in ``graph`` against the byte limit for as long as the record lives
/// (held weakly: once nothing stored reaches it, it is gone and uncounted).
public struct ObjectStore: Sendable {
    /// Most objects held at once.
    public var maximumObjects: Int
    /// Most bytes of tensor data held at once (4 a float, 8 a ring element).
    public var maximumBytes: Int
    private var objects: [TensorID: Tensor] = [:]
    private var rings: [TensorID: RingTensor] = [:]
    /// Bytes of tensor data held.
    public private(set) var byteCount = 0
    /// The op records alive in autograd graphs, each with the bytes it keeps and the work its
    /// backward takes.
    private var records: [GraphRecord] = []
    /// What the autograd graphs alive hold: bytes of the tensors they keep, and operations their
    /// backward will take (twice their forward's).
    public private(set) var graph = (bytes: 0, work: 0)

    /// An empty store with the given limits (defaults: 100,000 objects, 4 GiB).
    public init(maximumObjects: Int = 100_000, maximumBytes: Int = 4 << 30) {
        self.maximumObjects = maximumObjects
        self.maximumBytes = maximumBytes
    }

    /// Number of objects held.
    public var count: Int { objects.count + rings.count }

    /// The float tensor `id`.
    ///
    /// - Throws: ``WorkerError`` (`.unknownTensor`, `.wrongKind`).
    public func tensor(_ id: TensorID) throws -> Tensor {
        guard let tensor = objects[id] else {
            throw rings[id] == nil ? WorkerError.unknownTensor(id) : WorkerError.wrongKind(id, holds: "a ring tensor (a secret share)", wanted: "a float tensor")
        }
        return tensor
    }

    /// The ring tensor `id`.
    ///
    /// - Throws: ``WorkerError`` (`.unknownTensor`, `.wrongKind`).
    public func ring(_ id: TensorID) throws -> RingTensor {
        guard let ring = rings[id] else {
            throw objects[id] == nil ? WorkerError.unknownTensor(id) : WorkerError.wrongKind(id, holds: "a float tensor", wanted: "a ring tensor (a secret share)")
        }
        return ring
    }

    /// The shape of the object `id`, of either kind.
    ///
    /// - Throws: ``WorkerError`` (`.unknownTensor`).
    public func shape(of id: TensorID) throws -> [Int] {
        try rings[id]?.shape ?? tensor(id).shape
    }

    /// Whether `id` holds a ring tensor.
    public func holdsRing(_ id: TensorID) -> Bool { rings[id] != nil }

    /// Bytes the object `id` holds (0 when there is none).
    public func bytes(of id: TensorID) -> Int {
        objects[id].map { $0.count * 4 } ?? rings[id].map { $0.count * 8 } ?? 0
    }

    /// Stores `tensor` as `id`, replacing any object there; a result recorded for autograd adds
    /// `graphBytes` (what its op keeps for backward) and `graphWork` (its backward's operations)
    /// to ``graph``.
    ///
    /// - Throws: ``WorkerError`` (`.objectLimit`, `.byteLimit`) when the store would exceed its limits; the
    ///   store is unchanged then.
    public mutating func store(_ tensor: Tensor, as id: TensorID, graphBytes: Int = 0, graphWork: Int = 0) throws {
        let record = tensor.graphRecord
        try makeRoom(for: tensor.count * 4, as: id, graphBytes: record == nil ? 0 : graphBytes)
        if let record {
            records.append(GraphRecord(record: record, bytes: graphBytes, work: graphWork))
            graph.work = graph.work.addingReportingOverflow(graphWork).overflow ? .max : graph.work + graphWork
        }
        rings[id] = nil
        objects[id] = tensor
    }

    /// Stores ring tensor `ring` as `id`, replacing any object there.
    ///
    /// - Throws: ``WorkerError`` (`.objectLimit`, `.byteLimit`) when the store would exceed its limits; the
    ///   store is unchanged then.
    public mutating func store(_ ring: RingTensor, as id: TensorID) throws {
        try makeRoom(for: ring.count * 8, as: id)
        objects[id] = nil
        rings[id] = ring
    }

    /// Checks the limits for `bytes` replacing what `id` holds, with `graphBytes` more kept by
    /// autograd, and counts them.
    private mutating func makeRoom(for bytes: Int, as id: TensorID, graphBytes: Int = 0) throws {
        let newBytes = byteCount - self.bytes(of: id) + bytes
        let newCount = count + (objects[id] == nil && rings[id] == nil ? 1 : 0)
        guard newCount <= maximumObjects else {
            throw WorkerError.objectLimit(id: id, limit: maximumObjects)
        }
        var (withGraph, overflow) = newBytes.addingReportingOverflow(graph.bytes + graphBytes)
        if overflow || withGraph > maximumBytes {
            // Records whose graphs are gone free their count first.
            forgetReleasedGraphs()
            (withGraph, overflow) = newBytes.addingReportingOverflow(graph.bytes + graphBytes)
        }
        guard !overflow, withGraph <= maximumBytes else {
            throw WorkerError.byteLimit(id: id, bytes: bytes + graphBytes, limit: maximumBytes)
        }
        byteCount = newBytes
        graph.bytes += graphBytes
    }

    /// Bytes the store's limit has left for new objects (graphs counted).
    public var bytesLeft: Int { maximumBytes - byteCount - graph.bytes }

    /// Drops the records no graph reaches any more from ``graph``. O(records alive).
    public mutating func forgetReleasedGraphs() {
        records.removeAll { $0.record == nil }
        graph = records.reduce((0, 0)) { total, entry in
            (total.0 + entry.bytes, total.1.addingReportingOverflow(entry.work).overflow ? .max : total.1 + entry.work)
        }
    }

    /// Frees the objects `ids`; unknown ids are ignored (deletion is idempotent).
    public mutating func delete(_ ids: [TensorID]) {
        for id in ids {
            byteCount -= bytes(of: id)
            objects[id] = nil
            rings[id] = nil
        }
        forgetReleasedGraphs()
    }
}

/// One op's record in an autograd graph, held weakly, with what it keeps and costs.
private struct GraphRecord: @unchecked Sendable {
    // @unchecked: the record is only compared with nil (is it alive?), never used; the object
    // is the tensor layer's, itself Sendable.
    weak var record: AnyObject?
    let bytes: Int
    let work: Int
}
