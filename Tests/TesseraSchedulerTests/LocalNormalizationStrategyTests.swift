import Testing
import TesseraNN
import TesseraTensor
import TesseraWire
@testable import TesseraScheduler

/// FedBN on the scheduler: the entries the clients keep are left as they are, by every path.
@Suite("FedBN on the scheduler")
struct LocalNormalizationStrategyTests {
    static let spec = ModelSpec(name: "bn", inputShape: [3], layers: [.linear(inputs: 3, outputs: 2), .batchNorm(channels: 2)])

    /// Workers that send other values for the kept entries (a foreign worker, a liar) do not
    /// move them, through plain averaging and through a server optimizer's step; the rest is
    /// aggregated as the wrapped strategy does.
    @Test func theKeptEntriesKeepTheirGlobalValues() throws {
        let kept = LocalNormalization.all.names(in: Self.spec)
        let global = try Model(spec: Self.spec, seed: 1).parameters
        let other = try Model(spec: Self.spec, seed: 2).parameters.scaled(by: 3)
        let updates = [ValidatedUpdate(workerID: "a", parameters: other, sampleCount: 10)]
        for inner in [FedAvg(), try ServerOptimizer.fedAvgM(serverLearningRate: 1, momentum: 0.9)] as [any AggregationStrategy] {
            var strategy = LocalNormalizationStrategy(inner, keeping: kept)
            var plain = inner
            let next = try strategy.aggregate(global: global, updates: updates)
            let expected = try plain.aggregate(global: global, updates: updates)
            for name in global.names {
                #expect(next[name] == (kept.contains(name) ? global[name] : expected[name]), "\(name)")
            }
            let stepped = try strategy.step(global: global, averageChange: other)
            for name in kept { #expect(stepped[name] == global[name]) }
            #expect(stepped["fc1.weight"] != global["fc1.weight"])
        }
    }

    /// A worker that says its running variances are negative (which would make every
    /// evaluation NaN) has its update refused with the reason.
    @Test func negativeRunningVariancesAreRefused() throws {
        let global = try Model(spec: Self.spec, seed: 1).parameters
        var lying = global
        try lying.replace("bn1.running_var", with: Tensor([1, -0.5], shape: [2]))
        let update = TrainUpdate(round: 1, modelVersion: 0, sampleCount: 10, isDelta: false, metrics: [:], weights: lying.namedTensors)
        #expect { try ValidatedUpdate(update, from: "w1", global: global) } throws: { "\($0)".contains("its bn1.running_var holds negative variances") }
        let honest = TrainUpdate(round: 1, modelVersion: 0, sampleCount: 10, isDelta: false, metrics: [:], weights: global.namedTensors)
        _ = try ValidatedUpdate(honest, from: "w1", global: global)
    }
}
