import TesseraTensor

/// Which samples one federated client trains on and which it holds out for federated
/// evaluation: what a worker rebuilds from its welcome, and what the scheduler holds the
/// worker's sample-count claims to.
public struct ClientShare: Sendable, Equatable {
    /// Indices of the samples it trains on, in dataset order.
    public let trained: [Int]
    /// Indices of the samples it holds out (never trained on).
    public let heldOut: [Int]

    /// A share of these indices.
    public init(trained: [Int], heldOut: [Int]) {
        self.trained = trained
        self.heldOut = heldOut
    }

    /// Every client's share of a dataset with `labels` (and the natural client column, when it
    /// has one): split among `clients` by `partition` (seeded by `seed`), then from each part a
    /// seeded pick of `heldOutFraction` held out (at least one sample when the fraction is
    /// positive, never all). Power-law shares are drawn as they are read.
    ///
    /// - Throws: ``DataError`` for a split that cannot be made, a fraction outside [0, 1).
    public static func all(labels: [Int32], naturalClients: [Int64]? = nil, partition: Partition, clients: Int, seed: UInt64,
                           heldOutFraction: Double) throws -> ClientShares {
        guard heldOutFraction >= 0, heldOutFraction < 1 else {
            throw DataError(.invalidArgument, "held-out fraction \(heldOutFraction) is outside [0, 1)")
        }
        if case let .powerLaw(minimum, exponent) = partition {
            guard clients >= 1 else { throw DataError(.impossibleSplit, "need at least one client, got \(clients)") }
            let drawn = try PowerLawShares(samples: labels.count, minimum: minimum, exponent: exponent, seed: seed)
            return ClientShares(drawn: drawn, clients: clients, heldOutFraction: heldOutFraction, seed: seed)
        }
        return ClientShares(try partition.split(labels: labels, clients: clients, seed: seed, naturalClients: naturalClients).enumerated().map { client, part in
            holdOut(part, fraction: heldOutFraction, seed: seed, client: client)
        })
    }

    /// How many of `count` samples a client holds out at `fraction`: at least one when the
    /// fraction is positive, never all.
    static func heldOutCount(of count: Int, fraction: Double) -> Int {
        guard fraction > 0, count > 1 else { return 0 }
        return min(count - 1, max(1, Int(Double(count) * fraction)))
    }

    /// Splits a client's indices into trained and held out: a seeded shuffle (by run seed and
    /// client) picks `fraction` of them, and the rest keep their order.
    public static func holdOut(_ indices: [Int], fraction: Double, seed: UInt64, client: Int) -> ClientShare {
        let count = heldOutCount(of: indices.count, fraction: fraction)
        guard count > 0 else { return ClientShare(trained: indices, heldOut: []) }
        var generator = SeededGenerator(seed: seed &* 2_654_435_761 &+ UInt64(client))
        let chosen = Set(indices.shuffled(using: &generator).prefix(count))
        return ClientShare(trained: indices.filter { !chosen.contains($0) }, heldOut: indices.filter { chosen.contains($0) })
    }
}
