import Foundation

/// Integer noise from the discrete Gaussian N_Z(0, σ²) (P(x) ∝ exp(−x²/2σ²) on the integers), by
/// Canonne, Kamath and Steinke's rejection sampler ("The Discrete Gaussian for Differential
/// Privacy", 2020, Algorithm 3): a discrete Laplace proposal of scale t = ⌊σ⌋ + 1, accepted with
/// probability exp(−(|y| − σ²/t)² / 2σ²). Added to values already in fixed point, it leaves no
/// low bits for the floating-point attacks on Gaussian noise (Mironov 2012) to read: the noised
/// value is an integer like the value. The acceptance probabilities are computed in double
/// precision (the exact sampler's rational arithmetic is not used), so the distribution is the
/// discrete Gaussian within double rounding.
public enum DiscreteGaussian {
    /// `count` draws from N_Z(0, σ²). O(count) (about 1.5 proposals a draw).
    public static func draws(_ count: Int, standardDeviation sigma: Double, using generator: inout some RandomNumberGenerator) -> [Int64] {
        guard sigma > 0 else { return [Int64](repeating: 0, count: count) }
        let t = (sigma.rounded(.down) + 1)
        let variance = sigma * sigma
        return (0..<count).map { _ in
            while true {
                let y = laplace(scale: t, using: &generator)
                let excess = abs(Double(y)) - variance / t
                if uniform(&generator) < exp(-excess * excess / (2 * variance)) { return y }
            }
        }
    }

    /// A draw from the discrete Laplace distribution, P(x) ∝ exp(−|x|/t): a geometric magnitude
    /// with a random sign, the negative zero rejected so that 0 is not counted twice.
    static func laplace(scale t: Double, using generator: inout some RandomNumberGenerator) -> Int64 {
        while true {
            let negative = generator.next() & 1 == 1
            // Geometric with P(k) = (1 − q) q^k, q = e^(−1/t): ⌊−t · ln U⌋ for U uniform in (0, 1].
            let magnitude = Int64((-t * log(uniform(&generator))).rounded(.down))
            if negative && magnitude == 0 { continue }
            return negative ? -magnitude : magnitude
        }
    }

    /// Uniform in (0, 1], from 53 random bits.
    static func uniform(_ generator: inout some RandomNumberGenerator) -> Double {
        Double((generator.next() >> 11) + 1) / 9_007_199_254_740_992
    }
}
