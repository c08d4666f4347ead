import Foundation

/// Normally distributed noise by the Box-Muller transform from 53-bit uniform draws.
enum GaussianNoise {
    /// `count` draws from N(0, σ²), as Float.
    static func draws(_ count: Int, standardDeviation sigma: Double, using generator: inout some RandomNumberGenerator) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        var index = 0
        while index < count {
            // u1 in (0, 1]: its log is finite.
            let u1 = Double((generator.next() >> 11) + 1) / 9_007_199_254_740_992
            let u2 = Double(generator.next() >> 11) / 9_007_199_254_740_992
            let radius = sigma * (-2 * log(u1)).squareRoot()
            values[index] = Float(radius * cos(2 * .pi * u2))
            if index + 1 < count { values[index + 1] = Float(radius * sin(2 * .pi * u2)) }
            index += 2
        }
        return values
    }

    /// One draw from N(0, σ²).
    static func draw(standardDeviation sigma: Double, using generator: inout some RandomNumberGenerator) -> Double {
        Double(draws(1, standardDeviation: sigma, using: &generator)[0])
    }
}
