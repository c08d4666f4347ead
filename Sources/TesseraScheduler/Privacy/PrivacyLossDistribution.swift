import Foundation

/// A privacy loss distribution (PLD) on a grid: the distribution of ln(μ(o)/μ′(o)) for an
/// output o drawn from a mechanism run on one dataset (μ) against its run on a neighbouring one
/// (μ′), with losses rounded up to multiples of ``interval`` and the mass of an infinite loss
/// kept apart. Composing mechanisms convolves their PLDs, and the ε at a δ follows from the
/// hockey-stick divergence, which makes PLD accounting tight where RDP's conversion to (ε, δ)
/// is loose (Koskela, Jälkö and Honkela 2020; Doroshenko et al. 2022, "Connect the Dots").
///
/// One value describes one direction of neighbouring (a client removed, or added); an
/// accountant keeps both and reports the larger ε.
struct PrivacyLossDistribution: Sendable, Equatable {
    /// The grid's step in nats.
    let interval: Double
    /// The loss of `probabilities[0]`, in steps.
    private(set) var lowerLoss: Int
    /// Probabilities of the losses `lowerLoss`, `lowerLoss + 1`, ... steps.
    private(set) var probabilities: [Double]
    /// Probability of an infinite loss (and of what truncation moved there).
    private(set) var infinityMass: Double

    /// A distribution of losses from `lowerLoss` steps up, with `infinityMass` on an infinite loss.
    init(interval: Double, lowerLoss: Int, probabilities: [Double], infinityMass: Double) {
        self.interval = interval
        self.lowerLoss = lowerLoss
        self.probabilities = probabilities
        self.infinityMass = infinityMass
    }

    /// The mass each composition may drop from the ends of a distribution (pessimistically: the
    /// low end's mass joins its first kept loss, the high end's becomes an infinite loss).
    static let tailMass = 1e-15

    /// The smallest ε ≥ 0 whose hockey-stick divergence δ(ε) = P[∞] + Σ_{ℓ > ε} p_ℓ (1 − e^{ε−ℓ})
    /// is at most `delta`; infinite when the infinite loss alone exceeds it. O(grid).
    func epsilon(delta: Double) -> Double {
        if infinityMass > delta { return .infinity }
        // Walk down from the largest loss, keeping Σ p_ℓ and Σ p_ℓ e^{−ℓ} over the losses above
        // ε; δ(ε) = upper − e^ε lower then equals delta at ε = ln((upper − delta) / lower).
        var upper = infinityMass, lower = 0.0
        for index in stride(from: probabilities.count - 1, through: 0, by: -1) {
            let loss = Double(lowerLoss + index) * interval
            if upper > delta && lower > 0 && log((upper - delta) / lower) >= loss { break }
            upper += probabilities[index]
            lower += exp(-loss) * probabilities[index]
            if upper >= delta && lower == 0 { return max(0, loss) }
        }
        if upper <= lower + delta { return 0 }
        return max(0, log((upper - delta) / lower))
    }

    /// The distribution of `times` independent runs of this mechanism: the `times`-fold
    /// convolution, computed as one power in the Fourier domain over the range of summed losses
    /// that a Chernoff bound says holds all but ``tailMass`` of the result (which then counts as
    /// an infinite loss). O(m log m) for a result of m points.
    func selfComposed(_ times: Int) -> PrivacyLossDistribution {
        guard times > 1 else { return self }
        let (low, high) = Self.chernoffRange(probabilities, times: times, tailMass: Self.tailMass)
        let count = high - low + 1
        let transform = FourierTransform(length: FourierTransform.length(atLeast: max(count, probabilities.count)))
        var real = probabilities + Array(repeating: 0, count: transform.length - probabilities.count)
        var imaginary = Array(repeating: 0.0, count: transform.length)
        transform.transform(real: &real, imaginary: &imaginary)
        for index in 0..<transform.length {
            let magnitude = pow((real[index] * real[index] + imaginary[index] * imaginary[index]).squareRoot(), Double(times))
            // Most high frequencies vanish in the power: no angle to compute for them.
            guard magnitude > 0 else { (real[index], imaginary[index]) = (0, 0); continue }
            let angle = atan2(imaginary[index], real[index]) * Double(times)
            real[index] = magnitude * cos(angle)
            imaginary[index] = magnitude * sin(angle)
        }
        transform.transform(real: &real, imaginary: &imaginary, inverse: true)
        // The transform is circular: the result's losses low...high sit at those indices modulo
        // its length.
        let scale = 1 / Double(transform.length)
        let composed = (0..<count).map { real[(low + $0) % transform.length] * scale }
        return PrivacyLossDistribution(interval: interval, lowerLoss: lowerLoss * times + low, probabilities: composed,
                                       infinityMass: Self.tailMass - expm1(Double(times) * log1p(-infinityMass)))
    }

    /// The distribution of this mechanism run beside `other` (the same grid): their convolution,
    /// with at most ``tailMass`` trimmed from its ends. O(m log m).
    func composed(with other: PrivacyLossDistribution) -> PrivacyLossDistribution {
        precondition(interval == other.interval, "distributions on one grid")
        let count = probabilities.count + other.probabilities.count - 1
        let transform = FourierTransform(length: FourierTransform.length(atLeast: count))
        var (realA, imaginaryA) = (probabilities + Array(repeating: 0, count: transform.length - probabilities.count),
                                   Array(repeating: 0.0, count: transform.length))
        var (realB, imaginaryB) = (other.probabilities + Array(repeating: 0, count: transform.length - other.probabilities.count),
                                   Array(repeating: 0.0, count: transform.length))
        transform.transform(real: &realA, imaginary: &imaginaryA)
        transform.transform(real: &realB, imaginary: &imaginaryB)
        for index in 0..<transform.length {
            let (a, b) = ((realA[index], imaginaryA[index]), (realB[index], imaginaryB[index]))
            realA[index] = a.0 * b.0 - a.1 * b.1
            imaginaryA[index] = a.0 * b.1 + a.1 * b.0
        }
        transform.transform(real: &realA, imaginary: &imaginaryA, inverse: true)
        let scale = 1 / Double(transform.length)
        var convolution = (0..<count).map { realA[$0] * scale }
        // Trim each end while what it holds stays within half the tail mass.
        let (left, right) = (Self.prefixWithin(convolution, Self.tailMass / 2), Self.prefixWithin(convolution.reversed(), Self.tailMass / 2))
        let end = max(count - right, left + 1)
        let leftMass = convolution[..<left].reduce(0, +), rightMass = convolution[end...].reduce(0, +)
        convolution = Array(convolution[left..<end])
        convolution[0] += leftMass
        return PrivacyLossDistribution(interval: interval, lowerLoss: lowerLoss + other.lowerLoss + left, probabilities: convolution,
                                       infinityMass: infinityMass + other.infinityMass - infinityMass * other.infinityMass + rightMass)
    }

    /// How many leading values sum to at most `threshold`.
    private static func prefixWithin<Values: Sequence<Double>>(_ values: Values, _ threshold: Double) -> Int {
        var sum = 0.0, count = 0
        for value in values {
            sum += value
            if sum > threshold { return count }
            count += 1
        }
        return count
    }

    /// The range of index sums of `times` draws from `probabilities` outside which at most
    /// `tailMass` lies, from Chernoff bounds at moment orders ±1...20 over the grid's length.
    static func chernoffRange(_ probabilities: [Double], times: Int, tailMass: Double) -> (low: Int, high: Int) {
        var (low, high) = (0, (probabilities.count - 1) * times)
        let length = Double(probabilities.count)
        let positive = probabilities.indices.filter { probabilities[$0] > 0 }
        let logProbabilities = positive.map { log(probabilities[$0]) }
        for step in [Double](stride(from: -20, through: 20, by: 1)) where step != 0 {
            let order = step / length
            // ln E[e^{order·i}], a log-sum-exp over the positive probabilities.
            var largest = -Double.infinity
            for (index, logProbability) in zip(positive, logProbabilities) { largest = max(largest, Double(index) * order + logProbability) }
            var sum = 0.0
            for (index, logProbability) in zip(positive, logProbabilities) { sum += exp(Double(index) * order + logProbability - largest) }
            let logMoment = largest + log(sum)
            let bound = (Double(times) * logMoment + log(2 / tailMass)) / order
            guard bound.isFinite else { continue }
            if order > 0 { high = min(high, Int(bound.rounded(.up))) } else { low = max(low, Int(bound.rounded(.down))) }
        }
        return (low, max(low, high))
    }
}
