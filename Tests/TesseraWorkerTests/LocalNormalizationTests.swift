import Foundation
import Testing
import TesseraNN
import TesseraTensor
import TesseraWire
@testable import TesseraWorker

/// FedBN on a worker: the batch normalization it keeps is its own across rounds and never
/// leaves it.
@Suite("FedBN on a worker")
struct LocalNormalizationTests {
    static let spec = ModelSpec(name: "bn-mlp", inputShape: [1, 28, 28],
                                layers: [.flatten, .linear(inputs: 784, outputs: 16), .batchNorm(channels: 16), .relu, .linear(inputs: 16, outputs: 10)])
    static let statistics: Set<String> = ["bn1.running_mean", "bn1.running_var"]

    static func task(_ round: UInt64, _ global: ParameterSet) throws -> TrainTask {
        let json = String(decoding: try JSONEncoder().encode(Hyperparameters(batchSize: 64, learningRate: 0.05)), as: UTF8.self)
        return TrainTask(round: round, modelVersion: round - 1, hyperparameters: json, parameters: global)
    }

    /// With `statistics` kept, an update carries the global running statistics back unchanged,
    /// the worker trains the next round from its own, and its weights are federated as usual.
    @Test func theRunningStatisticsStayOnTheClientAcrossRounds() throws {
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: Self.spec, data: "synthetic", clients: 4, clientIndex: 1, seed: 3,
                                                                          localNormalization: .statistics))
        #expect(trainer.own.names == Self.statistics)
        let first = try Model(spec: Self.spec, seed: 1).parameters
        let update = try trainer.train(Self.task(1, first)).parameters()
        for name in Self.statistics { #expect(update[name] == first[name], "\(name) left the client") }
        #expect(update["fc1.weight"] != first["fc1.weight"] && update["bn1.weight"] != first["bn1.weight"])
        // Round 2's global model has other statistics (the initial ones, as FedAvg keeps them):
        // the client trains from its own instead.
        let kept = try trainer.own.applied(to: update)
        #expect(kept["bn1.running_mean"] != first["bn1.running_mean"] && kept["fc1.weight"] == update["fc1.weight"])
        let second = try trainer.train(Self.task(2, update)).parameters()
        for name in Self.statistics { #expect(second[name] == update[name]) }
        #expect(try trainer.own.applied(to: update)["bn1.running_mean"] != kept["bn1.running_mean"])
    }

    /// With `all` kept the scale and shift stay too; with `none` everything is shared.
    @Test func whatIsKeptIsWhatTheSettingSays() throws {
        #expect(LocalNormalization.all.names(in: Self.spec) == Self.statistics.union(["bn1.weight", "bn1.bias"]))
        #expect(LocalNormalization.affine.names(in: Self.spec) == ["bn1.weight", "bn1.bias"])
        #expect(LocalNormalization.none.names(in: Self.spec).isEmpty)
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: Self.spec, data: "synthetic", clients: 4, clientIndex: 0, seed: 3))
        let first = try Model(spec: Self.spec, seed: 1).parameters
        let update = try trainer.train(Self.task(1, first)).parameters()
        #expect(update["bn1.running_mean"] != first["bn1.running_mean"])
    }
}
