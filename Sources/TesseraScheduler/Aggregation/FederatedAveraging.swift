import TesseraNN

/// FedAvg (McMahan et al. 2017): the new global model is the average of the clients' models,
/// each weighted by its number of training samples. Updates are summed in worker-id order, so
/// the result is reproducible bit for bit.
public enum FederatedAveraging {
    /// The sample-weighted average of `updates`, summed in worker-id order. A change kept as it
    /// came is added over its base where it is read, not made into a model first (the same
    /// average, bit for bit).
    ///
    /// - Throws: ``SchedulerError`` for no updates; ``/TesseraNN/NNError`` for updates whose parameters
    ///   do not match each other.
    public static func aggregate(_ updates: [ValidatedUpdate]) throws -> ParameterSet {
        if let base = updates.lazy.compactMap({ if case let .change(_, base) = $0.content { base } else { nil } }).first {
            return try aggregate(updates, measuringChangesFrom: base).average
        }
        let ordered = updates.sorted { $0.workerID < $1.workerID }
        return try ParameterSet.weightedSum(ordered.map { try $0.parameters }, weights: try weights(of: ordered))
    }

    /// ``aggregate(_:)``'s average, and the norm of each update's change from `global` (in the
    /// order of `updates`), from one pass over each update: a round reads each client's model
    /// (or change, kept as it came) once. Bit for bit the average ``aggregate(_:)`` makes and
    /// the norms ``ValidatedUpdate/changeNorm(from:)`` measures; a norm is not finite exactly
    /// when a value of its update is not (and then the average is not either). The average is
    /// not finite either when a finite change's model is not (`base + change` overflows).
    ///
    /// - Throws: ``SchedulerError`` for no updates; ``/TesseraNN/NNError`` for updates that do
    ///   not match `global`.
    public static func aggregate(_ updates: [ValidatedUpdate],
                                 measuringChangesFrom global: ParameterSet) throws -> (average: ParameterSet, changeNorms: [Double]) {
        let order = updates.indices.sorted { updates[$0].workerID < updates[$1].workerID }
        let ordered = order.map { updates[$0] }
        // A change kept as it came is summed over its base: the round's global model.
        let terms = try ordered.map { update -> (set: ParameterSet, isChange: Bool) in
            switch update.content {
            case let .model(model): return (model, false)
            case let .change(change, base):
                guard base.sharesValues(with: global) else { return (try update.parameters, false) }
                return (change, true)
            }
        }
        let (average, distances) = try ParameterSet.weightedSum(terms.map(\.set), weights: try weights(of: ordered),
                                                                measuringDistancesTo: global, isChange: terms.map(\.isChange))
        var norms = [Double](repeating: 0, count: updates.count)
        for (position, index) in order.enumerated() { norms[index] = distances[position] }
        return (average, norms)
    }

    /// The FedAvg weights of `updates` (each one's share of the samples), in their order.
    ///
    /// - Throws: ``SchedulerError`` for no updates.
    private static func weights(of updates: [ValidatedUpdate]) throws -> [Float] {
        let total = updates.reduce(0.0) { $0 + Double($1.sampleCount) }
        guard !updates.isEmpty, total > 0 else { throw SchedulerError.nothingToAggregate }
        return updates.map { Float(Double($0.sampleCount) / total) }
    }
}
