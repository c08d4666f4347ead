import Foundation
import Testing
import TesseraNN
import TesseraScheduler
import TesseraTensor
import TesseraWire

@Suite("Aggregation strategies")
struct StrategyTests {
    func set(_ values: [Float]) throws -> ParameterSet { try ParameterSet([(name: "w", tensor: Tensor(values))]) }
    func updates(_ values: [Float]) throws -> [ValidatedUpdate] {
        [ValidatedUpdate(workerID: "a", parameters: try set(values), sampleCount: 1)]
    }

    @Test func fedAvgMAccumulatesServerMomentum() throws {
        var strategy = FedAvgM(serverLearningRate: 1, momentum: 0.5)
        // Δ = 1 each round: v = 1, then 1.5; w = 0 + 1 = 1, then 1 + 1.5 = 2.5.
        let first = try strategy.aggregate(global: set([0]), updates: try updates([1]))
        #expect(first["w"]?.scalars == [1])
        let second = try strategy.aggregate(global: first, updates: try updates([2]))
        #expect(second["w"]?.scalars == [2.5])
    }

    @Test func fedAdamAndFedYogiFollowThePaper() throws {
        for rule in [AdaptiveServerOptimizer.Rule.adam, .yogi] {
            var strategy = AdaptiveServerOptimizer(rule: rule, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.001)
            let next = try strategy.aggregate(global: set([1]), updates: try updates([3]))
            // Δ = 2; m = 0.2; v0 = τ² = 1e-6; Adam v = 0.99e-6 + 0.04; Yogi v = 1e-6 + 0.04 (sign(v0 − 4) = −1).
            let v: Float = rule == .adam ? 0.99 * 1e-6 + 0.01 * 4 : 1e-6 + 0.01 * 4
            let expected = 1 + 0.1 * 0.2 / (v.squareRoot() + 0.001)
            #expect(abs(next["w"]!.scalars[0] - expected) < 1e-5, "\(rule)")
        }
    }

    @Test func choicesByName() throws {
        var settings = RunSettings()
        #expect(throws: SettingError.self) { try RunSettings.table.setting(key: "training.strategy")?.apply(.text("fedsgd"), to: &settings) }
        settings.mu = 0.1
        settings.strategy = .fedprox
        #expect(settings.hyperparameters.proximalMu == 0.1)
        settings.strategy = .fedavg
        #expect(settings.hyperparameters.proximalMu == 0)
        settings.strategy = .fedyogi
        #expect(settings.makeStrategy() is AdaptiveServerOptimizer)
    }

    /// FedProx's proximal term keeps local training closer to the global model.
    @Test func proximalTermPullsTowardTheAnchor() throws {
        let spec = ModelSpec.logisticRegression
        let start = try Model(spec: spec, seed: 3)
        let inputs = try Tensor.normal([64, 1, 28, 28], seed: 4)
        let labels = Tensor((0..<64).map { Float($0 % 10) })
        func distance(mu: Float) throws -> Double {
            var trainer = Trainer(model: start, optimizer: try SGD(learningRate: 0.1))
            if mu > 0 { trainer.proximal = (mu, start.parameters) }
            for _ in 0..<20 { try trainer.step(inputs: inputs, labels: labels) }
            return try trainer.model.parameters.subtracting(start.parameters).l2Norm()
        }
        #expect(try distance(mu: 1) < distance(mu: 0))
    }
}
