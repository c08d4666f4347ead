import TesseraNN

/// FedAsync (Xie et al. 2019): every update is mixed into the global model as it arrives,
/// `x ← (1 − α_t)·x + α_t·x_new` with `α_t = α·s(τ)`, τ the update's staleness.
public struct FedAsync: Sendable {
    /// The mixing weight α of a fresh update, in (0, 1].
    public let alpha: Double
    /// How staleness discounts α.
    public let staleness: StalenessFunction

    /// FedAsync mixing with `alpha` and `staleness`.
    public init(alpha: Double, staleness: StalenessFunction) {
        self.alpha = alpha
        self.staleness = staleness
    }

    /// The mixing weight α_t of an update `staleness` steps old.
    public func mixingWeight(staleness tau: Int) -> Double {
        alpha * staleness.weight(tau)
    }

    /// The global model after mixing in `update`, `staleness` steps old.
    ///
    /// - Throws: ``/TesseraNN/NNError`` when the update's parameters do not match the global model's.
    public func mix(_ update: ValidatedUpdate, into global: ParameterSet, staleness tau: Int) throws -> ParameterSet {
        let weight = Float(mixingWeight(staleness: tau))
        return try ParameterSet.weightedSum([global, update.parameters], weights: [1 - weight, weight])
    }
}
