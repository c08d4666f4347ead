import TesseraNN

/// FedBuff (Nguyen et al. 2022): updates arrive as changes Δ from the model each worker trained
/// on, wait in a buffer weighted by their staleness, and every K of them the server takes one
/// step along their average with the run's aggregation strategy (plain FedAvg: `x ← x + Δ̄`;
/// FedAvgM or FedAdam: their optimizer on the pseudo-gradient −Δ̄).
///
/// Δ̄ = Σ nᵢ·s(τᵢ)·Δᵢ / Σ nᵢ: sample-weighted, as Tessera's FedAvg, where the paper weighs
/// the K updates equally; staleness shrinks a stale update's share without renormalizing.
public struct FedBuff: Sendable {
    /// Updates per server step (K).
    public let bufferSize: Int
    /// How staleness discounts an update.
    public let staleness: StalenessFunction
    /// The buffered updates: each worker's staleness-weighted change and sample count.
    public private(set) var buffer: [(workerID: String, change: ParameterSet, sampleCount: UInt64)] = []

    /// A buffer of `bufferSize` updates weighted by `staleness`.
    public init(bufferSize: Int, staleness: StalenessFunction) {
        self.bufferSize = bufferSize
        self.staleness = staleness
    }

    /// Whether K updates wait: the next ``step(_:with:)`` is due.
    public var isFull: Bool { buffer.count >= bufferSize }

    /// Buffers `update`, trained from `base`, `staleness` steps old.
    ///
    /// - Throws: ``/TesseraNN/NNError`` when the update's parameters do not match the base model's.
    public mutating func add(_ update: ValidatedUpdate, trainedFrom base: ParameterSet, staleness tau: Int) throws {
        let change = try update.parameters.subtracting(base).scaled(by: Float(staleness.weight(tau)))
        buffer.append((update.workerID, change, update.sampleCount))
    }

    /// The global model after one server step with `strategy` on the buffered updates (which
    /// stay buffered until ``clear()``): their sample-weighted average change Δ̄ = Σ nᵢ s(τᵢ) Δᵢ / Σ nᵢ,
    /// summed in worker-id order.
    ///
    /// - Throws: ``SchedulerError`` for an empty buffer, errors of `strategy`.
    public func step(_ global: ParameterSet, with strategy: inout any AggregationStrategy) throws -> ParameterSet {
        let ordered = buffer.sorted { $0.workerID < $1.workerID }
        let total = ordered.reduce(0.0) { $0 + Double($1.sampleCount) }
        guard !ordered.isEmpty, total > 0 else { throw SchedulerError.nothingToAggregate }
        let change = try ParameterSet.weightedSum(ordered.map(\.change), weights: ordered.map { Float(Double($0.sampleCount) / total) })
        return try strategy.step(global: global, averageChange: change)
    }

    /// Empties the buffer (after a step, taken or refused).
    public mutating func clear() {
        buffer.removeAll()
    }
}
