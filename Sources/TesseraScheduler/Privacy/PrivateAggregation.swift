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
/// The result is the round's noised average change, which the run's strategy steps with as with
/// any average change (``AggregationStrategy/step(global:averageChange:)``): FedAvgM or FedAdam
/// on a private average stays private (post-processing). In a secure round the workers clip and
/// noise, and the scheduler divides the unmasked sum the same way (``averageChange(ofSecureSum:inputs:global:expectedClients:)``),
/// each worker's share of the noise given by ``workerNoiseMultiplier(threshold:)``: the
/// mechanism's arithmetic is here, on both paths.
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
        /// Workers whose change was not finite: it cannot be clipped, so it was left out of the
        /// sum (and of ``updates``), in worker-id order.
        public var leftOut: [String] = []
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

    /// The noised average change of `updates`, each clipped against `global`, over
    /// `expectedClients`; noise from `random` (the system's secure generator in runs). An
    /// update whose change is not finite is left out (``Round/leftOut``). O(updates × parameters).
    ///
    /// - Throws: ``/TesseraNN/NNError`` for updates that do not match the model.
    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate], expectedClients: Double,
                                   random: inout some RandomNumberGenerator) throws -> (change: ParameterSet, round: Round) {
        var sum = global.scaled(by: 0)
        var within = 0
        // The centred count: Σ (±½), one client moving it by ½ at most.
        var centred = 0.0
        var leftOut: [String] = []
        for update in updates.sorted(by: { $0.workerID < $1.workerID }) {
            guard let wasClipped = try sum.addClippedChange(of: update.parameters, from: global, toNorm: clip) else {
                leftOut.append(update.workerID)
                continue
            }
            if !wasClipped { within += 1 }
            centred += wasClipped ? -0.5 : 0.5
        }
        let counted = updates.count - leftOut.count
        let noise = updateNoiseMultiplier * clip
        let average = try GaussianNoise.added(to: sum, standardDeviation: noise, using: &random).scaled(by: 1 / Float(max(expectedClients, 1)))
        let used = clip
        if let targetQuantile {
            // The share within the clip, noised, moves the clip towards the quantile.
            let share = (centred + GaussianNoise.draw(standardDeviation: countNoise, using: &random)) / max(expectedClients, 1) + 0.5
            clip *= exp(-clipLearningRate * (share - targetQuantile))
        }
        return (average, Round(clip: used, nextClip: clip, clipped: counted - within, updates: counted, noise: noise, leftOut: leftOut))
    }

    /// In a secure round, the noise multiplier each worker adds to its own clipped change: any
    /// sum the round can release holds at least `threshold` inputs, so at least the whole
    /// multiplier's noise, and the scheduler never sees a sum with less.
    public func workerNoiseMultiplier(threshold: Int) -> Double {
        updateNoiseMultiplier / Double(max(threshold, 1)).squareRoot()
    }

    /// The standard deviation of the noise in a secure sum of `inputs` clipped, noised changes.
    public func secureNoise(inputs: Int, threshold: Int) -> Double {
        workerNoiseMultiplier(threshold: threshold) * clip * Double(inputs).squareRoot()
    }

    /// A secure round's average change: the unmasked sum of `inputs` workers' clipped, noised
    /// models (each of weight 1, as `values` in the model's order) minus `inputs` times `global`,
    /// over the expected clients (the fixed denominator).
    public func averageChange(ofSecureSum values: [Double], inputs: Int, global: [Float], expectedClients: Double) -> [Float] {
        let count = Double(inputs), expected = max(expectedClients, 1)
        return global.indices.map { Float((values[$0] - count * Double(global[$0])) / expected) }
    }
}
