import Foundation
import Testing
import TesseraNN
import TesseraTensor

/// Differential privacy's randomness: the secure generator and the Gaussian noise drawn from it.
@Suite("Secure noise")
struct SecureNoiseTests {
    /// Each 64 KiB of the generator comes from its own key: no block repeats another (a reused
    /// key and nonce would repeat the keystream), two generators differ, and the bits are
    /// balanced.
    @Test func theGeneratorNeverRepeatsItself() {
        var first = SystemEntropy(), second = SystemEntropy()
        let words = 8192
        let blocks = (0..<3).map { _ in (0..<words).map { _ in first.next() } }
        let other = (0..<words).map { _ in second.next() }
        #expect(blocks[0] != blocks[1] && blocks[1] != blocks[2] && blocks[0] != other)
        #expect(Set(blocks.joined()).count == 3 * words)
        let ones = blocks.joined().reduce(0) { $0 + $1.nonzeroBitCount }, bits = 3 * words * 64
        // Five standard deviations of a fair coin's count.
        #expect(abs(Double(ones) - Double(bits) / 2) < 5 * (Double(bits) / 4).squareRoot(), "\(ones) ones of \(bits) bits")
    }

    /// A million draws at σ = 2 have the normal distribution's mean, spread, tails and
    /// fourth moment, and the two draws of each pair are uncorrelated, each within five
    /// standard errors.
    @Test func drawsAreNormal() {
        var random = SystemEntropy()
        let sigma = 2.0, count = 1_000_000
        let draws = GaussianNoise.draws(count, standardDeviation: sigma, using: &random).map(Double.init)
        let n = Double(count)
        let mean = draws.reduce(0, +) / n
        let variance = draws.reduce(0) { $0 + $1 * $1 } / n
        let fourth = draws.reduce(0) { $0 + pow($1 / sigma, 4) } / n
        #expect(abs(mean) < 5 * sigma / n.squareRoot(), "mean \(mean)")
        // Var(x²) = 2σ⁴; Var(z⁴) = 105 − 9 = 96.
        #expect(abs(variance - sigma * sigma) < 5 * (2 * pow(sigma, 4) / n).squareRoot(), "variance \(variance)")
        #expect(abs(fourth - 3) < 5 * (96 / n).squareRoot(), "fourth moment \(fourth)")
        let pairs = stride(from: 0, to: count, by: 2).map { draws[$0] * draws[$0 + 1] / (sigma * sigma) }
        let correlation = pairs.reduce(0, +) / Double(pairs.count)
        #expect(abs(correlation) < 5 / Double(pairs.count).squareRoot(), "correlation within a pair \(correlation)")
        for (multiple, tail) in [(1.0, 0.31731050786291415), (2, 0.04550026389635842), (3, 0.0026997960632601866)] {
            let observed = Double(draws.count { abs($0) > multiple * sigma }) / n
            #expect(abs(observed - tail) < 5 * (tail * (1 - tail) / n).squareRoot(), "P(|x| > \(multiple)σ) \(observed), not \(tail)")
        }
    }

    /// The noise added to a set is the draws the same generator gives, in the set's flattened
    /// order, each added in Float.
    @Test func noiseIsAddedInTheFlattenedOrder() throws {
        let set = try ParameterSet([(name: "w", tensor: Tensor((0..<12).map(Float.init), shape: [3, 4])),
                                    (name: "b", tensor: Tensor([-1, -2, -3]))])
        var (first, second) = (SeededGenerator(seed: 9), SeededGenerator(seed: 9))
        let noised = try GaussianNoise.added(to: set, standardDeviation: 0.5, using: &first)
        let draws = GaussianNoise.draws(set.scalarCount, standardDeviation: 0.5, using: &second)
        #expect(noised.flattened() == zip(set.flattened(), draws).map { $0 + $1 })
        #expect(set.flattened() == (0..<12).map(Float.init) + [-1, -2, -3])
    }

    /// No noise leaves the values as they were; an odd count is filled to its last value.
    @Test func noNoiseAndOddCounts() throws {
        var random = SystemEntropy()
        let set = try ParameterSet([(name: "w", tensor: Tensor([1, -2, 3]))])
        #expect(try GaussianNoise.added(to: set, standardDeviation: 0, using: &random) == set)
        let odd = GaussianNoise.draws(3, standardDeviation: 1, using: &random)
        #expect(odd.count == 3 && odd.allSatisfy { $0 != 0 && $0.isFinite })
    }
}
