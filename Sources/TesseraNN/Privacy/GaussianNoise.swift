import Foundation

/// Normally distributed noise by the Box-Muller transform from 53-bit uniform draws.
public enum GaussianNoise {
    /// `count` draws from N(0, σ²), as Float.
    public static func draws(_ count: Int, standardDeviation sigma: Double, using generator: inout some RandomNumberGenerator) -> [Float] {
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
    public static func draw(standardDeviation sigma: Double, using generator: inout some RandomNumberGenerator) -> Double {
        Double(draws(1, standardDeviation: sigma, using: &generator)[0])
    }

    /// `parameters` with N(0, σ²) added to every value.
    ///
    /// - Throws: ``NNError`` only if the parameter set's own shapes were inconsistent.
    public static func added(to parameters: ParameterSet, standardDeviation sigma: Double,
                             using generator: inout some RandomNumberGenerator) throws -> ParameterSet {
        let flat = parameters.flattened()
        let noise = draws(flat.count, standardDeviation: sigma, using: &generator)
        return try parameters.unflattened(zip(flat, noise).map { $0 + $1 })
    }
}
