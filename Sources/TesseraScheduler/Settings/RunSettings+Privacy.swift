extension RunSettings {
    /// Whether the run is DP-FedAvg (`privacy.clip` set).
    public var isPrivate: Bool { clip > 0 }

    /// Clients expected per round: each of `workers.count` is sampled with probability
    /// `training.fraction` (Poisson sampling, which is what the accountant analyses).
    public var expectedClients: Double { Double(workers) * fraction }

    /// The server side of DP-FedAvg for these settings, or nil when the run is not private.
    ///
    /// - Throws: ``SettingError`` when adaptive clipping's count noise leaves no room.
    public func makePrivacy() throws -> PrivateAggregation? {
        guard isPrivate else { return nil }
        do {
            return try PrivateAggregation(clip: clip, noiseMultiplier: noiseMultiplier,
                                          targetQuantile: targetQuantile > 0 ? targetQuantile : nil, clipLearningRate: clipLearningRate,
                                          countNoise: countNoise > 0 ? countNoise : expectedClients / 20)
        } catch {
            throw SettingError(key: "privacy.count_noise", value: countNoise > 0 ? String(countNoise) : nil, message: "\(error)")
        }
    }
}
