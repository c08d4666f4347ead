extension RunSettings {
    /// Whether the run is DP-FedAvg (`privacy.clip` set).
    public var isPrivate: Bool { clip > 0 }

    /// Clients expected per round: each of `workers.count` is sampled with probability
    /// `training.fraction` (Poisson sampling, which is what the accountant analyses).
    public var expectedClients: Double { Double(workers) * fraction }

    /// How many times the noise on each round's average outweighs the largest change it hides,
    /// for a model of `parameters` weights: the noise's expected norm, noise_multiplier × clip ×
    /// √parameters / expected clients, over the clip (nil when no central noise is added). Above
    /// 1 the model learns slowly, if at all: DP-FedAvg is made for many clients per round.
    public func noiseToUpdateRatio(parameters: Int) -> Double? {
        guard isPrivate, noiseMultiplier > 0, expectedClients > 0 else { return nil }
        return noiseMultiplier * Double(parameters).squareRoot() / expectedClients
    }

    /// A warning when the noise on each round's average outweighs the update it hides (see
    /// ``noiseToUpdateRatio(parameters:)``), saying what to change; nil otherwise.
    public func privacyNoiseWarning(parameters: Int) -> String? {
        guard let ratio = noiseToUpdateRatio(parameters: parameters), ratio > 1 else { return nil }
        let clients = expectedClients.formatted(.number.precision(.fractionLength(0...1)))
        return "privacy: the noise on each round's average is about \(ratio.formatted(.number.precision(.significantDigits(2))))× the largest update it hides "
            + "(noise_multiplier \(noiseMultiplier) × √\(parameters) weights / \(clients) clients expected per round), "
            + "so the model will learn \(ratio > 10 ? "little or nothing" : "slowly"); DP-FedAvg needs many clients per round: "
            + "raise workers.count or training.fraction, or lower privacy.noise_multiplier (ε grows)"
    }

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
