import TesseraTensor

/// The batches of one pass over a dataset: indices shuffled with a seeded generator (or kept
/// in order), cut into batches of `batchSize` (the last may be smaller).
public struct Batches: Sequence, Sendable {
    /// The dataset batched.
    public let dataset: Dataset
    /// Samples per batch.
    public let batchSize: Int
    /// Sample indices in visiting order.
    public let order: [Int]

    /// Batches of `dataset` in index order, or shuffled by `seed`.
    ///
    /// - Throws: ``DataError`` for a batch size below 1.
    public init(_ dataset: Dataset, batchSize: Int, shuffleSeed seed: UInt64? = nil) throws {
        guard batchSize >= 1 else { throw DataError(.invalidArgument, "batch size must be at least 1, got \(batchSize)") }
        self.dataset = dataset
        self.batchSize = batchSize
        var order = Array(0..<dataset.count)
        if let seed {
            var generator = SeededGenerator(seed: seed)
            order.shuffle(using: &generator)
        }
        self.order = order
    }

    /// Number of batches.
    public var count: Int { (order.count + batchSize - 1) / batchSize }

    public func makeIterator() -> Iterator {
        Iterator(batches: self)
    }

    /// Produces each batch as (inputs, labels).
    public struct Iterator: IteratorProtocol {
        let batches: Batches
        var start = 0

        public mutating func next() -> (inputs: Tensor, labels: Tensor)? {
            guard start < batches.order.count else { return nil }
            let end = Swift.min(start + batches.batchSize, batches.order.count)
            defer { start = end }
            // Indices come from `order`, which holds only valid indices, so this cannot fail.
            return try? batches.dataset.batch(batches.order[start..<end])
        }
    }
}
