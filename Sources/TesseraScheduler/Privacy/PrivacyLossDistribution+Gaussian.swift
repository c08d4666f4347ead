import Foundation

extension PrivacyLossDistribution {
    /// Which neighbouring dataset the loss compares against: one client removed from the
    /// dataset, or one added. With Poisson sampling the two differ, and ε is the larger.
    enum Neighbour: Sendable, CaseIterable { case removal, addition }

    /// The ln of the noise distribution's mass left out at its ends (half on each side):
    /// losses beyond it are counted as infinite.
    static let logTruncatedMass = -50.0

    /// The PLD of one round of the Poisson-sampled Gaussian mechanism (each client taken with
    /// probability `samplingRate`, noise of `noiseMultiplier` × the sensitivity on the sum),
    /// discretised pessimistically with "connect the dots" (Doroshenko et al. 2022, Algorithm 1):
    /// the hockey-stick divergence δ(ε) is computed exactly at every grid point of the loss's
    /// range, and the grid's probabilities are the ones whose δ matches it there, so that the
    /// discretised ε is never below the true one. O(range / interval) evaluations of erfc.
    static func sampledGaussian(samplingRate q: Double, noiseMultiplier sigma: Double, neighbour: Neighbour,
                                interval: Double) -> PrivacyLossDistribution {
        // The noise is truncated where its tails hold e^-50 / 2 each; the losses at the
        // truncation points bound the grid.
        let tail = sigma * standardNormalQuantile(logProbability: log(0.5) + logTruncatedMass)
        let (lowerX, upperX) = neighbour == .removal ? (tail - 1, -tail) : (tail, -tail + 1)
        let loss = { (x: Double) in neighbour == .removal ? removalLoss(x, q, sigma) : -removalLoss(-x, q, sigma) }
        let lowest = Int((loss(upperX) / interval).rounded(.down)), highest = Int((loss(lowerX) / interval).rounded(.up))
        var deltas = (lowest...highest).map { hockeyStick(epsilon: Double($0) * interval, q, sigma, neighbour) }
        guard deltas.count > 1 else {
            return PrivacyLossDistribution(interval: interval, lowerLoss: lowest, probabilities: [1 - deltas[0]], infinityMass: deltas[0])
        }
        // δ(ε) does not increase; rounding in its evaluation must not make it.
        for index in 1..<deltas.count { deltas[index] = min(deltas[index], deltas[index - 1]) }
        let last = deltas.count - 1
        var probabilities = [Double](repeating: 0, count: deltas.count)
        probabilities[0] = 1 - deltas[0] + (deltas[1] - deltas[0]) / expm1(interval)
        for index in stride(from: 1, to: last, by: 1) {
            probabilities[index] = ((deltas[index + 1] - deltas[index]) - exp(interval) * (deltas[index] - deltas[index - 1])) / expm1(interval)
        }
        probabilities[last] = (deltas[last] - deltas[last - 1]) / expm1(-interval)
        return PrivacyLossDistribution(interval: interval, lowerLoss: lowest, probabilities: probabilities.map { max(0, $0) },
                                       infinityMass: deltas[last])
    }

    /// The loss at output x when a client is removed: ln((1 − q) + q e^{(−½ − x)/σ²}), the
    /// mixture (the client sampled or not) against the noise alone, sensitivity 1, the client's
    /// contribution shifting the output by −1 (the convention of Google's dp-accounting).
    private static func removalLoss(_ x: Double, _ q: Double, _ sigma: Double) -> Double {
        let unsampled = (-0.5 - x) / (sigma * sigma)
        return q >= 1 ? unsampled : PrivacyAccountant.logAdd(log(q) + unsampled, log1p(-q))
    }

    /// δ(ε) = P_μ[L > ε] − e^ε P_μ′[L > ε] in closed form: the loss falls with x, so the event
    /// is x below the point where it equals ε.
    private static func hockeyStick(epsilon: Double, _ q: Double, _ sigma: Double, _ neighbour: Neighbour) -> Double {
        let variance = sigma * sigma
        let delta: Double
        switch neighbour {
        case .removal:
            if q < 1 && epsilon <= log1p(-q) { return -expm1(epsilon) }
            let x = -0.5 - variance * log1p(expm1(epsilon) / q)
            let upper = (1 - q) * normalCDF(x / sigma) + q * normalCDF((x + 1) / sigma)
            delta = upper - exp(epsilon + logNormalCDF(x / sigma))
        case .addition:
            if q >= 1 { return hockeyStick(epsilon: epsilon, q, sigma, .removal) }
            if epsilon >= -log1p(-q) { return 0 }
            let x = 0.5 + variance * log1p(expm1(-epsilon) / q)
            let lower = PrivacyAccountant.logAdd(log1p(-q) + logNormalCDF(x / sigma), log(q) + logNormalCDF((x - 1) / sigma))
            delta = normalCDF(x / sigma) - exp(epsilon + lower)
        }
        return min(1, max(0, delta))
    }

    /// Φ(t), the standard normal distribution function.
    static func normalCDF(_ t: Double) -> Double { 0.5 * erfc(-t / 2.0.squareRoot()) }

    /// ln Φ(t), accurate far into the lower tail.
    static func logNormalCDF(_ t: Double) -> Double { log(0.5) + PrivacyAccountant.logErfc(-t / 2.0.squareRoot()) }

    /// The t < 0 with ln Φ(t) = `logProbability` (< ln ½), by bisection to the last bit.
    static func standardNormalQuantile(logProbability: Double) -> Double {
        var (low, high) = (-40.0, 0.0)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle == low || middle == high { break }
            if logNormalCDF(middle) < logProbability { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
