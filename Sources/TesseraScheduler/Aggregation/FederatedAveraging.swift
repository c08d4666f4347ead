import TesseraNN

/// FedAvg (McMahan et al. 2017): the new global model is the average of the clients' models,
/// each weighted by its number of training samples. Updates are summed in worker-id order, so
/// the result is reproducible bit for bit.
public enum FederatedAveraging {
    /// The sample-weighted average of `updates`, summed in worker-id order.
    ///
    /// - Throws: ``SchedulerError`` for no updates; ``/TesseraNN/NNError`` for updates whose parameters
    ///   do not match each other.
    public static func aggregate(_ updates: [ValidatedUpdate]) throws -> ParameterSet {
        let ordered = updates.sorted { $0.workerID < $1.workerID }
        let total = ordered.reduce(0.0) { $0 + Double($1.sampleCount) }
        guard !ordered.isEmpty, total > 0 else { throw SchedulerError.nothingToAggregate }
        let weights = ordered.map { Float(Double($0.sampleCount) / total) }
        return try ParameterSet.weightedSum(ordered.map(\.parameters), weights: weights)
    }
}
