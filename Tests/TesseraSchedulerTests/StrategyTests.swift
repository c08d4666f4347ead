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

    /// Steps `strategy` from `start` through rounds whose average change is `deltas[t]` (each
    /// round's one update is the global model plus that change); returns each round's model.
    func run(_ strategy: inout some AggregationStrategy, from start: [Float], deltas: [[Float]]) throws -> [[Float]] {
        var global = try set(start)
        var models: [[Float]] = []
        for delta in deltas {
            var average = global
            try average.add(try set(delta), scaledBy: 1)
            global = try strategy.aggregate(global: global, updates: [ValidatedUpdate(workerID: "a", parameters: average, sampleCount: 7)])
            models.append(global["w"]?.scalars ?? [])
        }
        return models
    }

    func expectClose(_ actual: [[Float]], _ expected: [[Double]], tolerance: Double = 1e-6, _ comment: Comment? = nil) {
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual.joined(), expected.joined()) {
            #expect(abs(Double(a) - e) < tolerance, "\(actual) vs \(expected) \(comment?.description ?? "")")
        }
    }

    /// FedAvgM over three rounds, β 0.5, η 1: v = Δ₁ = 1, w = 1; v = 0.5 + 2 = 2.5, w = 3.5;
    /// v = 1.25 − 1 = 0.25, w = 3.75. Second element, Δ = −2, 0, 4: v = −2, −1, 3.5; w = −2, −3, 0.5.
    @Test func fedAvgMAccumulatesServerMomentum() throws {
        var strategy = try ServerOptimizer.fedAvgM(serverLearningRate: 1, momentum: 0.5)
        let models = try run(&strategy, from: [0, 0], deltas: [[1, -2], [2, 0], [-1, 4]])
        expectClose(models, [[1, -2], [3.5, -3], [3.75, 0.5]])
        var halfRate = try ServerOptimizer.fedAvgM(serverLearningRate: 0.5, momentum: 0.5)
        expectClose(try run(&halfRate, from: [0, 0], deltas: [[1, -2], [2, 0]]), [[0.5, -1], [1.75, -1.5]])
    }

    /// FedAdam and FedYogi (Reddi et al. 2021, Algorithm 2) over three rounds with Δ = 2, 1, 3,
    /// β₁ 0.9, β₂ 0.5, η 0.1, τ 0.001, v₀ = τ², no bias correction:
    /// m = 0.2, 0.28, 0.552; FedAdam v = 2.0000005, 1.50000025, 5.250000125; FedYogi v = 2.000001,
    /// 1.500001, 6.000001 (Yogi adds (1−β₂)Δ² when v < Δ²: 1.5 + 4.5, where Adam has 0.75 + 4.5);
    /// w = Σ η·m/(√v + τ). The two differ by 1.5e-3 in round 3.
    @Test func fedAdamAndFedYogiFollowThePaperOverSeveralRounds() throws {
        var adam = try ServerOptimizer.adaptive(.adam, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.5, tau: 0.001)
        expectClose(try run(&adam, from: [0], deltas: [[2], [1], [3]]), [[0.014132140924533023], [0.03697539185062675], [0.06105613694722419]])
        var yogi = try ServerOptimizer.adaptive(.yogi, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.5, tau: 0.001)
        expectClose(try run(&yogi, from: [0], deltas: [[2], [1], [3]]), [[0.014132139159264413], [0.036975384379207554], [0.05950149189075485]])
    }

    /// A resumed strategy continues exactly where its checkpointed state left it.
    @Test func serverStateSurvivesACheckpoint() throws {
        var whole = try ServerOptimizer.adaptive(.yogi, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.5)
        let expected = try run(&whole, from: [0], deltas: [[2], [1], [3]])
        var first = try ServerOptimizer.adaptive(.yogi, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.5)
        let before = try run(&first, from: [0], deltas: [[2], [1]])
        var resumed = try ServerOptimizer.adaptive(.yogi, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.5)
        try resumed.restore(first.state)
        let after = try run(&resumed, from: before[1], deltas: [[3]])
        #expect(before + after == expected)
        var plain = FedAvg()
        #expect(throws: SchedulerError.self) { try plain.restore(first.state) }
    }

    @Test func choicesByName() throws {
        var settings = RunSettings()
        #expect(throws: SettingError.self) { try RunSettings.table.setting(key: "training.strategy")?.apply(.text("fedsgd"), to: &settings) }
        settings.mu = 0.1
        settings.strategy = .fedprox
        #expect(settings.hyperparameters(round: 1).proximalMu == 0.1)
        settings.strategy = .fedavg
        #expect(settings.hyperparameters(round: 1).proximalMu == 0)
        settings.strategy = .fedyogi
        #expect(try settings.makeStrategy() is ServerOptimizer<Adam>)
        settings.strategy = .fedavgm
        #expect(try settings.makeStrategy() is ServerOptimizer<SGD>)
    }

    /// FedProx's proximal term adds exactly `mu · (w − anchor)` to each gradient: no change in
    /// the first step (w is the anchor), then the hand-computed difference in the second, and
    /// over many steps it keeps the model closer to the anchor.
    @Test func proximalTermChangesTheUpdateAsTheFormulaSays() throws {
        let spec = ModelSpec.logisticRegression
        let start = try Model(spec: spec, seed: 3)
        let inputs = try Tensor.normal([64, 1, 28, 28], seed: 4)
        let labels = Tensor((0..<64).map { Float($0 % 10) })
        let (lr, mu): (Float, Float) = (0.1, 0.5)
        func trainer(mu: Float) throws -> Trainer<SGD> {
            var trainer = Trainer(model: start, optimizer: try SGD(learningRate: lr))
            if mu > 0 { trainer.proximal = (mu, start.parameters) }
            return trainer
        }
        var plain = try trainer(mu: 0), proximal = try trainer(mu: mu)
        try plain.step(inputs: inputs, labels: labels)
        try proximal.step(inputs: inputs, labels: labels)
        #expect(plain.model.parameters == proximal.model.parameters)
        let afterOne = plain.model.parameters
        try plain.step(inputs: inputs, labels: labels)
        try proximal.step(inputs: inputs, labels: labels)
        // w₂(prox) = w₂(plain) − lr · mu · (w₁ − w₀)
        var expected = plain.model.parameters
        try expected.add(try afterOne.subtracting(start.parameters), scaledBy: -lr * mu)
        let gap = try proximal.model.parameters.subtracting(expected).l2Norm()
        #expect(gap < 1e-5, "\(gap)")
        #expect(try proximal.model.parameters.subtracting(plain.model.parameters).l2Norm() > 1e-3)
        func distance(mu: Float) throws -> Double {
            var trainer = try trainer(mu: mu)
            for _ in 0..<20 { try trainer.step(inputs: inputs, labels: labels) }
            return try trainer.model.parameters.subtracting(start.parameters).l2Norm()
        }
        #expect(try distance(mu: 1) < distance(mu: 0))
    }
}
