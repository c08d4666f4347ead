import Foundation
import Testing
import TesseraNN
import TesseraTensor
import TesseraWire
@testable import TesseraWorker

/// `updatePrecision: bfloat16` sends the change from the task's model, rounded, as a delta.
@Suite("Update precision")
struct UpdatePrecisionTests {
    static func update(_ precision: String) throws -> (update: TrainUpdate, global: ParameterSet) {
        let trainer = try LocalTrainer(configuration: ClientConfiguration(model: .mnist2NN, data: "synthetic", clients: 4,
                                                                          clientIndex: 1, seed: 11))
        let global = try Model(spec: .mnist2NN, seed: 5).parameters
        let json = String(decoding: try JSONEncoder().encode(Hyperparameters(batchSize: 16, learningRate: 0.1, updatePrecision: precision)),
                          as: UTF8.self)
        return (try trainer.train(TrainTask(round: 1, modelVersion: 0, hyperparameters: json, parameters: global)), global)
    }

    @Test func bfloat16SendsTheRoundedChange() throws {
        let (model, global) = try Self.update("float32")
        let (narrow, _) = try Self.update("bfloat16")
        #expect(!model.isDelta && narrow.isDelta)
        #expect(narrow.weights.allSatisfy(\.tensor.isBFloat16) && model.weights.allSatisfy { !$0.tensor.isBFloat16 })
        // The same training (seeded): the change is the float32 one, each value rounded.
        let change = try model.parameters().subtracting(global)
        for (sent, exact) in zip(narrow.weights, change.namedTensors) {
            #expect(sent.name == exact.name)
            #expect(sent.tensor.scalars == exact.tensor.roundedToBFloat16().scalars)
        }
        // Half the bytes on the wire.
        let codec = WireCodec()
        let (wide, half) = (try codec.encode(Envelope(id: 1, message: .update(model))), try codec.encode(Envelope(id: 1, message: .update(narrow))))
        #expect(half.dropFirst().reduce(0) { $0 + $1.count } * 2 == wide.dropFirst().reduce(0) { $0 + $1.count })
    }

    @Test func anUnknownPrecisionIsRefused() throws {
        #expect {
            _ = try Self.update("float16")
        } throws: { error in
            "\(error)".contains("updatePrecision is float16; it must be float32 or bfloat16")
        }
    }
}
