import Foundation
import TesseraTensor

/// Client shares whose sizes follow a power law, as real federations' do (a few clients hold
/// much, most hold little), drawn rather than dealt: each client's size is a Pareto draw
/// (`minimum` · U^(−1/`exponent`), at most the whole dataset) and its samples a run of that many
/// consecutive entries, from an offset of its own, of one seeded permutation of the dataset
/// (wrapping around). A client's share is rebuilt from the seed and its index alone, so a
/// million clients cost the permutation and nothing each; shares may overlap (a sample can
/// belong to several clients, never twice to one), so a population may outnumber the samples.
public struct PowerLawShares: Sendable {
    /// Smallest share, in samples.
    public let minimum: Int
    /// The Pareto exponent: smaller, heavier tail (1.5: mean 3 × `minimum`).
    public let exponent: Double
    private let order: [Int]
    private let seed: UInt64

    /// Shares of `samples` samples, reproducible from `seed`.
    ///
    /// - Throws: ``DataError`` for a minimum below 1 or above the samples, an exponent that is
    ///   not positive and finite.
    public init(samples: Int, minimum: Int, exponent: Double, seed: UInt64) throws {
        guard minimum >= 1, minimum <= samples else {
            throw DataError(.impossibleSplit, "a power-law share of at least \(minimum) samples does not fit \(samples) samples")
        }
        guard exponent > 0, exponent.isFinite else {
            throw DataError(.impossibleSplit, "the power-law exponent must be positive, got \(exponent)")
        }
        self.minimum = minimum
        self.exponent = exponent
        self.seed = seed
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<samples)
        order.shuffle(using: &generator)
        self.order = order
    }

    /// Client `client`'s size and where its run starts, from its own draws.
    private func draw(_ client: Int) -> (size: Int, offset: Int) {
        var generator = SeededGenerator(seed: seed ^ (UInt64(client) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        let unit = Double(1 - generator.nextUnitFloat())
        let size = min(Double(order.count), (Double(minimum) * Foundation.pow(unit, -1 / exponent)).rounded(.down))
        return (Int(size), Int.random(in: 0..<order.count, using: &generator))
    }

    /// How many samples client `client` holds.
    public func size(of client: Int) -> Int { draw(client).size }

    /// Client `client`'s sample indices.
    public func indices(of client: Int) -> [Int] {
        let (size, offset) = draw(client)
        return (0..<size).map { order[(offset + $0) % order.count] }
    }
}
