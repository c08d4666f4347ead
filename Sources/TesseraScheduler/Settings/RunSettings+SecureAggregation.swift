import Foundation

extension RunSettings {
    /// The secure-aggregation protocol `training.secure_aggregation` names.
    public enum SecureProtocol: String, Sendable, CaseIterable {
        /// None: updates in the clear.
        case off = "false"
        /// Bonawitz et al. 2017: every worker with every other.
        case secagg
        /// Bell et al. 2020: neighbours on a random graph.
        case secaggPlus = "secagg+"
    }

    /// `training.secure_aggregation` as one value (true is secagg).
    public var secureProtocol: SecureProtocol {
        get { !secureAggregation ? .off : secureSparse || secureNeighbours > 0 ? .secaggPlus : .secagg }
        set {
            secureAggregation = newValue != .off
            secureSparse = newValue == .secaggPlus
        }
    }

    /// Each worker's neighbours in a secure round of `participants` (0: every other worker):
    /// `training.secure_neighbours` when set, else for SecAgg+ 2⌈log2 n⌉ (8 for 10 workers, 14
    /// for 100, 20 for 1,000: Bell et al.'s O(log n), which keeps the full protocol's protection
    /// against a minority of colluders), at most n − 1.
    public func secureDegree(participants: Int) -> Int {
        if secureNeighbours > 0 { return secureNeighbours }
        guard secureSparse, participants > 2 else { return 0 }
        let logarithm = Int(log2(Double(participants)).rounded(.up))
        return min(participants - 1, 2 * logarithm)
    }

    /// The shares that rebuild a secret in a secure round of `participants` workers: more than
    /// `training.secure_threshold` of them, and at least 2 (one input alone would be its own sum,
    /// so a round of fewer than 2 gets no sum). Up to `participants` minus this many may drop
    /// and the round still completes.
    public func secureThreshold(participants: Int) -> Int {
        max(2, Int((secureThreshold * Double(participants)).rounded(.down)) + 1)
    }

    /// Checks that secure aggregation fits the other settings.
    ///
    /// - Throws: ``SettingError`` naming the key that does not fit.
    func validateSecureAggregation() throws {
        guard mode == .sync else {
            throw SettingError(key: "training.secure_aggregation", value: "true",
                               message: "needs training.mode sync: the scheduler unmasks the sum of a fixed set of workers, one round at a time")
        }
        guard workers >= 2 else {
            throw SettingError(key: "training.secure_aggregation", value: "true",
                               message: "needs at least 2 workers (workers.count is \(workers)): the sum of one update is that update")
        }
        if !isPrivate && sampleSize(available: workers) < 2 {
            throw SettingError(key: "training.fraction", value: String(fraction),
                               message: "samples \(sampleSize(available: workers)) of \(workers) workers a round; secure aggregation needs at least 2 (raise training.fraction or training.min_workers)")
        }
        if targetQuantile > 0 {
            throw SettingError(key: "privacy.target_quantile", value: String(targetQuantile),
                               message: "cannot be used with secure aggregation: adaptive clipping counts the updates within the clip, which the scheduler no longer sees; use a fixed privacy.clip")
        }
        if localNoise > 0 {
            throw SettingError(key: "privacy.local_noise", value: String(localNoise),
                               message: "cannot be used with secure aggregation, which already adds the noise on the workers, so that only the noised sum is ever seen; use privacy.noise_multiplier")
        }
    }
}
