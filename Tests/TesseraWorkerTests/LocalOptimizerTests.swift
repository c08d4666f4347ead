import Foundation
import Testing
import TesseraNN
import TesseraTensor
import TesseraWire
@testable import TesseraWorker

/// The optimizer settings a train task carries reach the worker's local training.
@Suite("Local optimizers")
struct LocalOptimizerTests {
    static func update(_ hyperparameters: Hyperparameters) throws -> (change: ParameterSet, steps: Int) {
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 4,
                                                                          clientIndex: 0, seed: 11))
        let global = try Model(spec: .logisticRegression, seed: 5).parameters
        let json = String(decoding: try JSONEncoder().encode(hyperparameters), as: UTF8.self)
        let update = try trainer.train(TrainTask(round: 1, modelVersion: 0, hyperparameters: json, parameters: global))
        let samples = Int(update.sampleCount)
        return (try update.parameters().subtracting(global), (samples + hyperparameters.batchSize - 1) / hyperparameters.batchSize)
    }

    /// Plain SGD moves each step by at most the learning rate times the clipped gradient's norm.
    @Test func clippedGradientsBoundEachStep() throws {
        let (change, steps) = try Self.update(Hyperparameters(batchSize: 32, learningRate: 0.5, gradientClip: 1e-3))
        #expect(change.l2Norm() > 0 && change.l2Norm() <= Double(steps) * 0.5 * 1e-3 * 1.0001, "\(change.l2Norm()) over \(steps) steps")
        let (unclipped, _) = try Self.update(Hyperparameters(batchSize: 32, learningRate: 0.5))
        #expect(unclipped.l2Norm() > 10 * change.l2Norm())
    }

    /// Adam's steps are about the learning rate per weight whatever the gradient's scale, so
    /// its change differs from SGD's; AdamW's decay shrinks the weights besides.
    @Test func theNamedOptimizerTrains() throws {
        let sgd = try Self.update(Hyperparameters(learningRate: 0.01)).change
        let adam = try Self.update(Hyperparameters(learningRate: 0.01, optimizer: "adam")).change
        let adamw = try Self.update(Hyperparameters(learningRate: 0.01, optimizer: "adamw", weightDecay: 0.5)).change
        #expect(sgd != adam && adam != adamw)
        // The first Adam step moves every weight with a gradient by the learning rate.
        #expect(adam.flattened().map(abs).max() ?? 0 > 0.01)
    }

    @Test func anUnknownOptimizerIsRefusedWithTheNearestName() throws {
        #expect { try Self.update(Hyperparameters(optimizer: "adamx")) } throws: {
            "\($0)".contains("no optimizer 'adamx' (did you mean 'adam'?)")
        }
        #expect { try Self.update(Hyperparameters(optimizer: "adam", momentum: 0.9)) } throws: { "\($0)".contains("momentum is for sgd") }
        #expect { try Self.update(Hyperparameters(gradientClip: -1)) } throws: { "\($0)".contains("gradient clip >= 0") }
    }
}
