import TesseraScheduler
import TesseraTensor

/// A client sampler: the `count` workers holding the most samples train each round (ties broken
/// by id). Registered by `fednova-tessera` as `training.sampler: largest`. It reads every
/// candidate, so a round costs time in proportion to the live population.
public struct LargestClients: ClientSampler {
    /// The sampler.
    public init() {}

    public mutating func sample(_ candidates: SamplingCandidates, round: Int, count: Int, using generator: inout SeededGenerator) -> [String] {
        Array(candidates.sorted { ($0.samples, $0.workerID) > ($1.samples, $1.workerID) }.prefix(count).map(\.workerID))
    }
}
