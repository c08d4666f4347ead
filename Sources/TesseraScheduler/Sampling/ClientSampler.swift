import TesseraTensor

/// A worker a sampler may choose for a round.
public struct SamplingCandidate: Sendable, Equatable {
    /// Its id.
    public let workerID: String
    /// The training samples it is held to (its share of the run's data, or what it registered); 0 if unknown.
    public let samples: Int

    /// A candidate.
    public init(workerID: String, samples: Int) {
        self.workerID = workerID
        self.samples = samples
    }
}

/// Chooses which workers train in a synchronous round (Flower's client manager's sampling). A
/// private run does not take one: its accountant needs the run's own Poisson sampling.
///
/// Draw randomness from `generator` only: its state is checkpointed, so a resumed run samples as
/// the uninterrupted one would have.
public protocol ClientSampler: Sendable {
    /// The ids of the workers to train in `round`, from `candidates` (the live workers, read on
    /// demand: a sampler that reads them all costs time in proportion to the population);
    /// `count` is how many `training.fraction` and `training.min_workers` ask for. Ids that are
    /// not candidates are ignored; an empty choice falls back to a uniform draw.
    mutating func sample(_ candidates: SamplingCandidates, round: Int, count: Int, using generator: inout SeededGenerator) -> [String]
}

/// `count` workers drawn uniformly without replacement: the default. Floyd's algorithm takes
/// `count` draws and reads only the candidates chosen, however many there are.
public struct UniformSampler: ClientSampler {
    /// The uniform sampler.
    public init() {}

    public mutating func sample(_ candidates: SamplingCandidates, round: Int, count: Int, using generator: inout SeededGenerator) -> [String] {
        let total = candidates.count
        var chosen = Set<Int>()
        for upper in max(0, total - count)..<total {
            let pick = Int.random(in: 0...upper, using: &generator)
            chosen.insert(chosen.contains(pick) ? upper : pick)
        }
        return chosen.sorted().map { candidates[$0].workerID }
    }
}
