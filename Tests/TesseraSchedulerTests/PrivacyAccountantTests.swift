import Foundation
import Testing
@testable import TesseraScheduler

/// The RDP accountant against Google's dp-accounting on a grid of sampling rates, noise
/// multipliers and round counts (Fixtures/rdp.json, written by scripts/rdp_fixtures.py).
@Suite("Privacy accountant")
struct PrivacyAccountantTests {
    struct Case: Decodable {
        var q: Double
        var noise_multiplier: Double
        var rounds: Int
        var delta: Double
        var epsilon: Double
        var rdp: [String: Double]
    }

    struct Fixtures: Decodable {
        var source: String
        var cases: [Case]
    }

    static let fixtures: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rdp.json")
        return (try? JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url)).cases) ?? []
    }()

    @Test func theFixturesAreThere() {
        #expect(Self.fixtures.count == 80)
    }

    @Test("RDP of one round at each order matches dp-accounting", arguments: fixtures.filter { $0.rounds == 1 })
    func rdpPerOrder(_ fixture: Case) {
        for (order, expected) in fixture.rdp {
            let value = PrivacyAccountant.rdp(samplingRate: fixture.q, noiseMultiplier: fixture.noise_multiplier, order: Double(order) ?? 0)
            #expect(abs(value - expected) <= 1e-9 + 1e-7 * abs(expected), "q \(fixture.q), σ \(fixture.noise_multiplier), order \(order): \(value) vs \(expected)")
        }
    }

    @Test("epsilon after many rounds matches dp-accounting", arguments: fixtures)
    func epsilonAfterRounds(_ fixture: Case) {
        var accountant = PrivacyAccountant()
        accountant.compose(samplingRate: fixture.q, noiseMultiplier: fixture.noise_multiplier, rounds: fixture.rounds)
        let (epsilon, _) = accountant.epsilon(delta: fixture.delta)
        #expect(abs(epsilon - fixture.epsilon) <= 1e-7 * max(1, fixture.epsilon),
                "q \(fixture.q), σ \(fixture.noise_multiplier), \(fixture.rounds) rounds: \(epsilon) vs \(fixture.epsilon)")
    }

    @Test func composingRoundByRoundEqualsComposingThemAtOnce() {
        var stepwise = PrivacyAccountant(), atOnce = PrivacyAccountant()
        for _ in 0..<20 { stepwise.compose(samplingRate: 0.1, noiseMultiplier: 1.2) }
        atOnce.compose(samplingRate: 0.1, noiseMultiplier: 1.2, rounds: 20)
        #expect(abs(stepwise.epsilon(delta: 1e-5).epsilon - atOnce.epsilon(delta: 1e-5).epsilon) < 1e-9)
    }

    @Test func nothingSpentIsZeroAndNoNoiseIsInfinite() {
        #expect(PrivacyAccountant().epsilon(delta: 1e-5).epsilon == 0)
        var noiseless = PrivacyAccountant()
        noiseless.compose(samplingRate: 0.1, noiseMultiplier: 0)
        #expect(noiseless.epsilon(delta: 1e-5).epsilon == .infinity)
    }
}

extension PrivacyAccountantTests.Case: CustomTestStringConvertible {
    var testDescription: String { "q \(q), σ \(noise_multiplier), \(rounds) rounds" }
}
