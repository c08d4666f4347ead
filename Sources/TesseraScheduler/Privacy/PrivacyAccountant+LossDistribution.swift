import Foundation

extension PrivacyAccountant {
    /// The step of the privacy-loss grid, in nats (dp-accounting's default): the reported ε is
    /// an upper bound that exceeds the exact one by about this much per round composed at most,
    /// and far less in practice.
    public static let lossInterval = 1e-4

    /// The smallest ε for which the rounds so far are (ε, δ)-differentially private, from their
    /// privacy loss distributions (`PrivacyLossDistribution`) rather than RDP: tighter, often
    /// by 15 % or more, and slower (a Fourier transform over the composed loss's range, from
    /// milliseconds to about a second for thousands of rounds). Nil when the accountant was
    /// restored from a record that did not keep its rounds (``history``).
    public func lossDistributionEpsilon(delta: Double, interval: Double = PrivacyAccountant.lossInterval) -> Double? {
        guard let history else { return nil }
        let runs = history.filter { $0.samplingRate > 0 && $0.count > 0 }
        if runs.isEmpty { return 0 }
        if runs.contains(where: { $0.noiseMultiplier <= 0 }) || delta <= 0 { return .infinity }
        // Rounds that sample everyone compose exactly to one Gaussian mechanism whose
        // multiplier z satisfies z⁻² = Σ rounds / z_i².
        let precision = runs.filter { $0.samplingRate >= 1 }.reduce(0.0) { $0 + Double($1.count) / ($1.noiseMultiplier * $1.noiseMultiplier) }
        let sampled = runs.filter { $0.samplingRate < 1 }
        if sampled.isEmpty { return Self.gaussianEpsilon(delta: delta, noiseMultiplier: 1 / precision.squareRoot()) }
        var epsilon = 0.0
        for neighbour in PrivacyLossDistribution.Neighbour.allCases {
            var pieces = sampled.map {
                PrivacyLossDistribution.sampledGaussian(samplingRate: $0.samplingRate, noiseMultiplier: $0.noiseMultiplier,
                                                        neighbour: neighbour, interval: interval).selfComposed($0.count)
            }
            if precision > 0 {
                pieces.append(.sampledGaussian(samplingRate: 1, noiseMultiplier: 1 / precision.squareRoot(), neighbour: neighbour, interval: interval))
            }
            guard let first = pieces.first else { continue }
            let composed = pieces.dropFirst().reduce(first) { $0.composed(with: $1) }
            epsilon = max(epsilon, composed.epsilon(delta: delta))
        }
        return epsilon
    }

    /// The exact ε at `delta` of the Gaussian mechanism with `noiseMultiplier` z (Balle and
    /// Wang 2018, Theorem 8): the root of δ(ε) = Φ(1/(2z) − εz) − e^ε Φ(−1/(2z) − εz), which
    /// falls with ε, found by bisection to double precision.
    static func gaussianEpsilon(delta: Double, noiseMultiplier z: Double) -> Double {
        let divergence = { (epsilon: Double) in
            PrivacyLossDistribution.normalCDF(1 / (2 * z) - epsilon * z)
                - exp(epsilon + PrivacyLossDistribution.logNormalCDF(-1 / (2 * z) - epsilon * z))
        }
        if divergence(0) <= delta { return 0 }
        var (low, high) = (0.0, 1.0)
        while divergence(high) > delta {
            low = high
            high *= 2
            if high > 1e12 { return .infinity }
        }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle == low || middle == high { break }
            if divergence(middle) > delta { low = middle } else { high = middle }
        }
        return high
    }
}
