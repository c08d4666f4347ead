import Testing
import TesseraData

/// Power-law shares: sizes with a heavy tail, at least the minimum, each client's samples
/// distinct and rebuilt from the seed alone, more clients than samples, bad values refused.
@Suite("Power-law shares")
struct PowerLawSharesTests {
    static let labels = (0..<1_000).map { Int32($0 % 10) }

    @Test func sizesHaveAHeavyTailAndEveryShareIsDistinctAndReproducible() throws {
        let shares = try ClientShare.all(labels: Self.labels, partition: .powerLaw(minimum: 5, exponent: 1.5), clients: 5_000, seed: 7,
                                         heldOutFraction: 0.2)
        let sizes = shares.sizes
        let totals = zip(sizes.training, sizes.heldOut).map { $0 + $1 }.sorted()
        #expect(totals.first! >= 5 && totals.last! <= 1_000)
        // Pareto(5, 1.5): median 5 · 2^(1/1.5) ≈ 7.9, mean 15; the largest of 5,000 far beyond both.
        #expect((7...9).contains(totals[2_500]) && totals.last! > 200, "median \(totals[2_500]), largest \(totals.last!)")
        for client in [0, 17, 4_999] {
            let share = shares[client]
            #expect(share.trained.count == sizes.training[client] && share.heldOut.count == sizes.heldOut[client])
            #expect(Set(share.trained + share.heldOut).count == share.trained.count + share.heldOut.count)
        }
        let again = try ClientShare.all(labels: Self.labels, partition: .powerLaw(minimum: 5, exponent: 1.5), clients: 5_000, seed: 7,
                                        heldOutFraction: 0.2)
        #expect(again[4_321] == shares[4_321] && again.sizes.training == sizes.training)
        let other = try ClientShare.all(labels: Self.labels, partition: .powerLaw(minimum: 5, exponent: 1.5), clients: 5_000, seed: 8,
                                        heldOutFraction: 0.2)
        #expect(other.sizes.training != sizes.training)
    }

    @Test func badValuesAreRefused() {
        #expect(throws: DataError.self) { try PowerLawShares(samples: 100, minimum: 101, exponent: 1.5, seed: 1) }
        #expect(throws: DataError.self) { try PowerLawShares(samples: 100, minimum: 0, exponent: 1.5, seed: 1) }
        #expect(throws: DataError.self) { try PowerLawShares(samples: 100, minimum: 5, exponent: -1, seed: 1) }
        #expect(throws: DataError.self) { try PowerLawShares(samples: 100, minimum: 5, exponent: .infinity, seed: 1) }
    }
}
