import Foundation

/// Normally distributed noise by Marsaglia's polar method from 53-bit uniform draws: a point
/// uniform in the unit disc (drawn in the square until it falls inside), whose coordinates,
/// scaled by `√(−2 ln s / s)` for its squared radius s, are two independent N(0, 1) draws:
/// Box-Muller's transform without its sine and cosine, the costliest part of a model's noise.
public enum GaussianNoise {
    /// `count` draws from N(0, σ²), as Float.
    public static func draws(_ count: Int, standardDeviation sigma: Double, using generator: inout some RandomNumberGenerator) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        var index = 0
        while index < count {
            let (u, v) = (symmetric(&generator), symmetric(&generator))
            let squared = u * u + v * v
            // Inside the disc, and not its centre (whose log is not finite).
            guard squared < 1, squared > 0 else { continue }
            let factor = sigma * (-2 * log(squared) / squared).squareRoot()
            values[index] = Float(u * factor)
            if index + 1 < count { values[index + 1] = Float(v * factor) }
            index += 2
        }
        return values
    }

    /// A uniform draw from [−1, 1) on a grid of 2⁻⁵²: 53 random bits.
    @inline(__always) private static func symmetric(_ generator: inout some RandomNumberGenerator) -> Double {
        Double(Int64(bitPattern: generator.next()) >> 11) / 4_503_599_627_370_496
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
        guard sigma != 0 else { return parameters }
        let flat = parameters.flattened()
        let noise = draws(flat.count, standardDeviation: sigma, using: &generator)
        return try parameters.unflattened(zip(flat, noise).map { $0 + $1 })
    }
}
