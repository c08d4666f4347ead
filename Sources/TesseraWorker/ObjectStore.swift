import TesseraTensor
import TesseraWire

/// A worker's tensors by id, within configurable limits on count and bytes.
public struct ObjectStore: Sendable {
    /// Most tensors held at once.
    public var maximumObjects: Int
    /// Most bytes of tensor data held at once.
    public var maximumBytes: Int
    private var objects: [TensorID: Tensor] = [:]
    /// Bytes of tensor data held.
    public private(set) var byteCount = 0

    /// An empty store with the given limits (defaults: 100,000 tensors, 4 GiB).
    public init(maximumObjects: Int = 100_000, maximumBytes: Int = 4 << 30) {
        self.maximumObjects = maximumObjects
        self.maximumBytes = maximumBytes
    }

    /// Number of tensors held.
    public var count: Int { objects.count }

    /// The tensor `id`.
    ///
    /// - Throws: ``WorkerError`` (`.unknownTensor`).
    public func tensor(_ id: TensorID) throws -> Tensor {
        guard let tensor = objects[id] else {
            throw WorkerError.unknownTensor(id)
        }
        return tensor
    }

    /// Stores `tensor` as `id`, replacing any tensor there.
    ///
    /// - Throws: ``WorkerError`` (`.objectLimit`, `.byteLimit`) when the store would exceed its limits; the
    ///   store is unchanged then.
    public mutating func store(_ tensor: Tensor, as id: TensorID) throws {
        let replaced = objects[id].map { $0.count * 4 } ?? 0
        let newBytes = byteCount - replaced + tensor.count * 4
        let newCount = objects.count + (objects[id] == nil ? 1 : 0)
        guard newCount <= maximumObjects else {
            throw WorkerError.objectLimit(id: id, limit: maximumObjects)
        }
        guard newBytes <= maximumBytes else {
            throw WorkerError.byteLimit(id: id, bytes: tensor.count * 4, limit: maximumBytes)
        }
        objects[id] = tensor
        byteCount = newBytes
    }

    /// Frees the tensors `ids`; unknown ids are ignored (deletion is idempotent).
    public mutating func delete(_ ids: [TensorID]) {
        for id in ids {
            if let removed = objects.removeValue(forKey: id) { byteCount -= removed.count * 4 }
        }
    }
}
