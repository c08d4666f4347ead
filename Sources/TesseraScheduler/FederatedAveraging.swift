import TesseraNN
import TesseraWire

/// FedAvg (McMahan et al. 2017): the new global model is the average of the clients' models,
/// each weighted by its number of training samples. Updates are summed in worker-id order, so
/// the result is reproducible bit for bit.
public enum FederatedAveraging {
    /// The sample-weighted average of `updates` (keyed by worker id), as a parameter set shaped
    /// like `global`. Delta updates are added to `global` first.
    ///
    /// - Throws: ``SchedulerError`` for no updates or no samples; ``NNError`` for updates whose
    ///   parameters do not match the global model.
    public static func aggregate(_ updates: [String: TrainUpdate], global: ParameterSet) throws -> ParameterSet {
        let ordered = updates.sorted { $0.key < $1.key }
        let total = ordered.reduce(0.0) { $0 + Double($1.value.sampleCount) }
        guard !ordered.isEmpty, total > 0 else {
            throw SchedulerError("cannot aggregate \(ordered.count) updates holding \(Int(total)) samples")
        }
        var models: [ParameterSet] = []
        for (worker, update) in ordered {
            var model = try update.parameters()
            try global.checkCompatible(with: model, operation: "update from \(worker)")
            if update.isDelta { try model.add(global, scaledBy: 1) }
            models.append(model)
        }
        let weights = ordered.map { Float(Double($0.value.sampleCount) / total) }
        return try ParameterSet.weightedSum(models, weights: weights)
    }
}
