import Foundation

extension RunSettings {
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
