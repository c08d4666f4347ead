import Foundation
import Testing
import TesseraNN

/// The discrete Gaussian sampler: its draws have the distribution's mass at each integer (within
/// sampling error) and its variance, at the small σ where it is most unlike the continuous one
/// and at the large σ of fixed-point noise.
@Suite("Discrete Gaussian noise")
struct DiscreteGaussianTests {
    @Test func smallSigmaMatchesTheMassFunction() {
        var random = SystemEntropy()
        let sigma = 1.5, count = 200_000
        let draws = DiscreteGaussian.draws(count, standardDeviation: sigma, using: &random)
        let normaliser = (-40...40).reduce(0.0) { $0 + exp(-Double($1 * $1) / (2 * sigma * sigma)) }
        for value in -3...3 {
            let expected = exp(-Double(value * value) / (2 * sigma * sigma)) / normaliser
            let observed = Double(draws.count { $0 == Int64(value) }) / Double(count)
            // Five standard errors of a frequency.
            #expect(abs(observed - expected) < 5 * (expected * (1 - expected) / Double(count)).squareRoot(), "P(\(value)) \(observed), not \(expected)")
        }
    }

    @Test func largeSigmaHasItsMeanAndVariance() {
        var random = SystemEntropy()
        let sigma = 1_677_721.6, count = 50_000   // 0.1 in 24-bit fixed point
        let draws = DiscreteGaussian.draws(count, standardDeviation: sigma, using: &random).map(Double.init)
        let mean = draws.reduce(0, +) / Double(count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)
        #expect(abs(mean) < 5 * sigma / Double(count).squareRoot(), "mean \(mean)")
        #expect(abs(variance.squareRoot() / sigma - 1) < 0.02, "σ \(variance.squareRoot())")
    }
}
