import Foundation
import Testing
@testable import TesseraScheduler

/// The PLD accountant against Google's dp-accounting's PLDAccountant (Fixtures/pld.json,
/// written by scripts/pld_fixtures.py): single settings on the RDP fixtures' grid and runs
/// whose settings changed when resumed.
@Suite("Privacy loss distribution")
struct PrivacyLossDistributionTests {
    struct Run: Decodable {
        var q: Double
        var noise_multiplier: Double
        var rounds: Int
    }

    struct Case: Decodable {
        var runs: [Run]
        var delta: Double
        var epsilon: Double
        var rdp_epsilon: Double
    }

    struct Fixtures: Decodable {
        var source: String
        var cases: [Case]
    }

    static let fixtures: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pld.json")
        return (try? JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url)).cases) ?? []
    }()

    @Test func theFixturesAreThere() {
        #expect(Self.fixtures.count == 84)
    }

    /// The cases a test computes: those with ε up to 100 (beyond, a run has no privacy to
    /// speak of, and the composed grid takes seconds in a debug build).
    static let meaningful = fixtures.filter { $0.epsilon <= 100 }

    @Test("epsilon of sampled rounds matches dp-accounting's PLD accountant", arguments: meaningful.filter { $0.runs.contains { $0.q < 1 } })
    func sampledEpsilonMatchesReference(_ fixture: Case) {
        let epsilon = Self.accountant(fixture).lossDistributionEpsilon(delta: fixture.delta) ?? .nan
        // The same discretisation as the reference: equal up to rounding in the transforms.
        #expect(abs(epsilon - fixture.epsilon) <= 1e-7 * max(1, fixture.epsilon), "\(epsilon) vs \(fixture.epsilon)")
        #expect(epsilon < fixture.rdp_epsilon, "PLD is tighter than RDP: \(epsilon) vs \(fixture.rdp_epsilon)")
    }

    @Test("epsilon of rounds that sample everyone is the Gaussian mechanism's exact one", arguments: meaningful.filter { $0.runs.allSatisfy { $0.q == 1 } })
    func unsampledEpsilonIsExact(_ fixture: Case) {
        let epsilon = Self.accountant(fixture).lossDistributionEpsilon(delta: fixture.delta) ?? .nan
        // The reference discretises pessimistically, so it is at least the exact value, and
        // above it by a fraction of its grid step per round.
        #expect(epsilon <= fixture.epsilon + 1e-9 && epsilon >= fixture.epsilon - 1e-5 * max(1, fixture.epsilon),
                "\(epsilon) vs \(fixture.epsilon)")
    }

    @Test func theGaussianMechanismsEpsilonSolvesItsDivergence() {
        // z = 1, ε from the closed form: δ(ε) = Φ(½ − ε) − e^ε Φ(−½ − ε) back at the δ asked.
        let epsilon = PrivacyAccountant.gaussianEpsilon(delta: 1e-5, noiseMultiplier: 1)
        let delta = PrivacyLossDistribution.normalCDF(0.5 - epsilon) - exp(epsilon) * PrivacyLossDistribution.normalCDF(-0.5 - epsilon)
        #expect(abs(delta - 1e-5) < 1e-12)
        #expect(PrivacyAccountant.gaussianEpsilon(delta: 0.5, noiseMultiplier: 100) == 0)
    }

    @Test func anAccountantRestoredWithoutItsRoundsHasNoLossDistribution() throws {
        var accountant = PrivacyAccountant()
        accountant.compose(samplingRate: 0.1, noiseMultiplier: 1, rounds: 3)
        let restored = try #require(PrivacyAccountant(snapshot: accountant.snapshot))
        #expect(restored == accountant)
        let older = try #require(PrivacyAccountant(snapshot: accountant.snapshot.split(separator: ";").prefix(2).joined(separator: ";")))
        #expect(older.history == nil && older.lossDistributionEpsilon(delta: 1e-5) == nil)
        #expect(PrivacyAccountant(snapshot: accountant.snapshot + ",0.1:-1:2") == nil)
        #expect(PrivacyAccountant(snapshot: accountant.snapshot + ",0.1:1:9223372036854775807") == nil, "an impossible count of rounds")
    }

    static func accountant(_ fixture: Case) -> PrivacyAccountant {
        var accountant = PrivacyAccountant()
        for run in fixture.runs { accountant.compose(samplingRate: run.q, noiseMultiplier: run.noise_multiplier, rounds: run.rounds) }
        return accountant
    }
}

extension PrivacyLossDistributionTests.Case: CustomTestStringConvertible {
    var testDescription: String { runs.map { "q \($0.q), σ \($0.noise_multiplier), \($0.rounds) rounds" }.joined(separator: "; ") }
}
