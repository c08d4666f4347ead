/// The clients a dataset names itself (LEAF's writers and speakers, FedScale's devices): the
/// sample indices of each id in its client column, those with fewer than a minimum of samples
/// dropped (too few to train or hold out from), the rest ordered by id.
public struct NaturalClients: Sendable, Equatable {
    /// Sample indices of each kept client, ordered by client id, each list in dataset order.
    public let kept: [[Int]]
    /// Clients dropped for having fewer than the minimum of samples.
    public let droppedClients: Int
    /// The samples those clients held (no worker trains on them).
    public let droppedSamples: Int
    /// The minimum applied.
    public let minimumSamples: Int

    /// Groups a client column of `samples` entries.
    ///
    /// - Throws: ``DataError``: `.invalidArgument` for a column of another length, `.impossibleSplit` for a minimum
    ///   below 1, or a minimum that leaves no client.
    public init(column: [Int64], samples: Int, minimumSamples: Int) throws {
        guard column.count == samples else {
            throw DataError(.invalidArgument, "the client column has \(column.count) entries for \(samples) samples")
        }
        guard minimumSamples >= 1 else {
            throw DataError(.impossibleSplit, "data.min_client_samples must be at least 1, got \(minimumSamples)")
        }
        var byClient: [Int64: [Int]] = [:]
        for (index, client) in column.enumerated() { byClient[client, default: []].append(index) }
        let ordered = byClient.keys.sorted().compactMap { byClient[$0] }
        kept = ordered.filter { $0.count >= minimumSamples }
        droppedClients = ordered.count - kept.count
        droppedSamples = ordered.reduce(0) { $0 + ($1.count < minimumSamples ? $1.count : 0) }
        self.minimumSamples = minimumSamples
        guard !kept.isEmpty else {
            throw DataError(.impossibleSplit, "none of the data's \(ordered.count) natural clients has \(minimumSamples) samples (data.min_client_samples); lower it")
        }
    }

    /// The kept clients dealt in turn to `workers` (worker `w` takes clients `w`, `w + workers`,
    /// ...): each worker's sample indices.
    ///
    /// - Throws: ``DataError`` (`.impossibleSplit`) when there are fewer kept clients than workers.
    public func dealt(to workers: Int) throws -> [[Int]] {
        guard kept.count >= workers else {
            throw DataError(.impossibleSplit, "the data has \(kept.count) natural clients with at least \(minimumSamples) samples, fewer than the \(workers) workers: set workers.count to at most \(kept.count)" + (droppedClients > 0 ? " or lower data.min_client_samples" : ""))
        }
        return (0..<workers).map { worker in
            stride(from: worker, to: kept.count, by: workers).flatMap { kept[$0] }
        }
    }

    /// "412 natural clients (3 with fewer than 10 samples dropped: 17 samples), 41 to 42 per
    /// worker": what the split did, for the run's output.
    public func summary(workers: Int) -> String {
        let dropped = droppedClients == 0 ? "" : " (\(droppedClients) with fewer than \(minimumSamples) samples dropped: \(droppedSamples) samples)"
        let least = kept.count / max(workers, 1), most = (kept.count + max(workers, 1) - 1) / max(workers, 1)
        let each = least == most ? "\(least)" : "\(least) to \(most)"
        return "\(kept.count) natural clients\(dropped), \(each) per worker"
    }
}
