import Foundation
import TesseraNN

/// DP-FedAvg's server side (McMahan et al. 2018, "Learning Differentially Private Recurrent
/// Language Models"): each update's change to the global model is clipped to L2 norm `clip`,
/// the clipped changes are summed with equal weight, Gaussian noise of standard deviation
/// `noiseMultiplier × clip` is added to the sum, and the sum is divided by the expected number
/// of clients per round (a fixed denominator, so one client's presence moves the average by at
/// most clip / expected). With a target quantile the clip adapts (Andrew et al. 2021,
/// "Differentially Private Learning with Adaptive Clipping"): the noised share of updates within
/// the clip moves it geometrically towards the quantile. That share is counted centred, each
/// update adding +½ when within the clip and −½ when not (as Andrew et al. and TF-Privacy do), so
/// one client moves the count by at most ½: the sensitivity the noise split below assumes.
///
/// The result is one ``ValidatedUpdate`` (the noised average model) that the run's strategy
/// then steps with as with any average: FedAvgM or FedAdam on a private average stays private.
public struct PrivateAggregation: Sendable, Equatable {
    /// The L2 norm each update's change is clipped to (adapted each round when a quantile is set).
    public private(set) var clip: Double
    /// The noise multiplier of the sum of the clipped changes: its noise's standard deviation
    /// over the clip.
    public let updateNoiseMultiplier: Double
    /// The quantile of update norms the clip tracks; nil: a fixed clip.
    public let targetQuantile: Double?
    /// The geometric learning rate of the clip (Andrew et al.'s η_C).
    public let clipLearningRate: Double
    /// The standard deviation of the noise on the count of updates within the clip.
    public let countNoise: Double

    /// What one round's aggregation did.
    public struct Round: Sendable, Equatable {
        /// The clip used this round, and the one the next will use.
        public var clip: Double
        /// See ``clip``.
        public var nextClip: Double
        /// Updates whose change was longer than the clip (the true count, for the operator; it
        /// is not released to workers).
        public var clipped: Int
        /// Updates aggregated.
        public var updates: Int
        /// Standard deviation of the noise added to the sum.
        public var noise: Double
    }

    /// DP-FedAvg with `clip`, and noise of `noiseMultiplier` overall: with adaptive clipping
    /// part of the privacy goes to the count of unclipped updates, so the updates' own noise
    /// multiplier is raised to keep the total at `noiseMultiplier` (Andrew et al., Theorem 1).
    ///
    /// - Throws: ``SchedulerError`` when the count's noise leaves nothing for the updates.
    public init(clip: Double, noiseMultiplier: Double, targetQuantile: Double?, clipLearningRate: Double, countNoise: Double) throws {
        self.clip = clip
        self.targetQuantile = targetQuantile
        self.clipLearningRate = clipLearningRate
        self.countNoise = countNoise
        if targetQuantile != nil && noiseMultiplier > 0 {
            let remaining = pow(noiseMultiplier, -2) - pow(2 * countNoise, -2)
            guard remaining > 0 else {
                throw SchedulerError.invalidConfiguration("adaptive clipping's count noise \(countNoise) needs a noise multiplier below \(2 * countNoise), not \(noiseMultiplier); raise privacy.count_noise or the multiplier")
            }
            updateNoiseMultiplier = pow(remaining, -0.5)
        } else {
            updateNoiseMultiplier = noiseMultiplier
        }
    }

    /// Restores a clip that adapted in an earlier run (from a checkpoint).
    public mutating func restore(clip: Double) {
        self.clip = clip
    }

    /// The noised average of `updates` as a model, each clipped against `global`, over
    /// `expectedClients`; noise from `random` (the system's secure generator in runs).
    /// O(updates × parameters).
    ///
    /// - Throws: ``NNError`` for updates that do not match the model.
    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate], expectedClients: Double,
                                   random: inout some RandomNumberGenerator) throws -> (model: ValidatedUpdate, round: Round) {
        var sum = global.scaled(by: 0)
        var within = 0
        // The centred count: Σ (±½), one client moving it by ½ at most.
        var centred = 0.0
        for update in updates.sorted(by: { $0.workerID < $1.workerID }) {
            let (change, wasClipped) = try update.parameters.subtracting(global).clipped(toNorm: clip)
            if !wasClipped { within += 1 }
            centred += wasClipped ? -0.5 : 0.5
            try sum.add(change, scaledBy: 1)
        }
        let noise = updateNoiseMultiplier * clip
        let average = try GaussianNoise.added(to: sum, standardDeviation: noise, using: &random).scaled(by: 1 / Float(max(expectedClients, 1)))
        var model = global
        try model.add(average, scaledBy: 1)
        let used = clip
        if let targetQuantile {
            // The share within the clip, noised, moves the clip towards the quantile.
            let share = (centred + GaussianNoise.draw(standardDeviation: countNoise, using: &random)) / max(expectedClients, 1) + 0.5
            clip *= exp(-clipLearningRate * (share - targetQuantile))
        }
        return (ValidatedUpdate(workerID: "dp-average", parameters: model, sampleCount: 1),
                Round(clip: used, nextClip: clip, clipped: updates.count - within, updates: updates.count, noise: noise))
    }
}
