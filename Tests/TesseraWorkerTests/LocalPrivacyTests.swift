import Foundation
import Testing
import TesseraNN
import TesseraTensor
import TesseraWire
@testable import TesseraWorker

/// Local differential privacy on the worker: only a clipped, noised change leaves it.
@Suite("Local differential privacy")
struct LocalPrivacyTests {
    static func task(clip: Float, noise: Float, round: UInt64 = 1) throws -> (TrainTask, ParameterSet) {
        let global = try Model(spec: .logisticRegression, seed: 5).parameters
        let hyperparameters = Hyperparameters(epochs: 1, batchSize: 32, learningRate: 0.5, localClip: clip, localNoise: noise)
        let json = String(decoding: try JSONEncoder().encode(hyperparameters), as: UTF8.self)
        return (TrainTask(round: round, modelVersion: 0, hyperparameters: json, parameters: global), global)
    }

    static func change(_ update: TrainUpdate, from global: ParameterSet) throws -> ParameterSet {
        try update.parameters().subtracting(global)
    }

    @Test func theChangeSentIsClippedAndNoised() throws {
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 4,
                                                                          clientIndex: 0, seed: 11))
        // Without noise worth mentioning, the change is the trained one scaled down to the clip.
        let (quiet, global) = try Self.task(clip: 0.05, noise: 1e-6)
        let clipped = try Self.change(try trainer.train(quiet), from: global)
        let plain = try Self.change(try trainer.train(try Self.task(clip: 0, noise: 0).0), from: global)
        #expect(plain.l2Norm() > 0.05, "the test needs a change longer than the clip: \(plain.l2Norm())")
        #expect(abs(clipped.l2Norm() - 0.05) < 1e-3, "\(clipped.l2Norm())")
        // With noise, every value moves by noise of noise × clip around the clipped change.
        let (noisy, _) = try Self.task(clip: 0.05, noise: 2)
        let sent = try Self.change(try trainer.train(noisy), from: global).flattened()
        let difference = zip(sent, clipped.flattened()).map { Double($0 - $1) }
        let deviation = (difference.map { $0 * $0 }.reduce(0, +) / Double(difference.count)).squareRoot()
        #expect(abs(deviation - 0.1) < 0.01, "deviation \(deviation), expected 0.1")
    }

    /// In a secure round the trainer clips only, and the session adds the noise to the
    /// fixed-point input as integers: a discrete Gaussian of noise × clip in the fixed point's
    /// units on every weight; the weight said beside it (1, clipped) is not noised.
    @Test func aSecureRoundsNoiseIsAddedAsIntegersAfterEncoding() throws {
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 4,
                                                                          clientIndex: 0, seed: 11))
        let global = try Model(spec: .logisticRegression, seed: 5).parameters
        var settings = Hyperparameters(epochs: 1, batchSize: 32, learningRate: 0.5, localClip: 0.05, localNoise: 2, secureThreshold: 2)
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        let update = try trainer.train(TrainTask(round: 1, modelVersion: 0, hyperparameters: json, parameters: global))
        #expect(abs(try Self.change(update, from: global).l2Norm() - 0.05) < 1e-3, "the trainer clips and adds nothing")
        let quiet = try SecureAggregationSession(update: update, taskID: 1, workerID: "w", settings: {
            var quiet = settings
            quiet.localNoise = 0
            return quiet
        }())
        settings.localNoise = 2
        let noisy = try SecureAggregationSession(update: update, taskID: 1, workerID: "w", settings: settings)
        let difference = zip(noisy.input, quiet.input).map { Double(Int64(bitPattern: $0 &- $1)) }
        #expect(noisy.weight == 1 && noisy.input.count == global.scalarCount, "one value a weight, and the weight beside them")
        let weights = difference
        let deviation = (weights.map { $0 * $0 }.reduce(0, +) / Double(weights.count)).squareRoot() * FixedPoint.updates.precision
        #expect(abs(deviation - 0.1) < 0.01, "deviation \(deviation), expected 0.1")
    }

    @Test func noiseWithoutAClipIsRefused() throws {
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 4,
                                                                          clientIndex: 0, seed: 11))
        #expect(throws: WorkerError.self) { try trainer.train(try Self.task(clip: 0, noise: 1).0) }
    }
}
