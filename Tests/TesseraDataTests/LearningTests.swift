import Testing
import TesseraData
import TesseraNN
import TesseraTensor

@Suite("Learning end to end")
struct LearningTests {
    /// The synthetic digits must be learnable: the 2NN, trained for five epochs on 3,000 of them,
    /// classifies held-out ones well above chance.
    @Test func twoLayerNetworkLearnsSyntheticDigits() throws {
        let (train, test) = try SyntheticDigits.make(seed: 11, trainCount: 3000, testCount: 1000)
        var trainer = Trainer(model: try Model(spec: .mnist2NN, seed: 1), optimizer: try SGD(learningRate: 0.05))
        for epoch in 0..<5 {
            _ = try trainer.train(Batches(train, batchSize: 32, shuffleSeed: UInt64(epoch)))
        }
        let evaluation = try trainer.model.evaluate(Batches(test, batchSize: 250))
        #expect(evaluation.count == 1000)
        #expect(evaluation.accuracy >= 0.9, "accuracy \(evaluation.accuracy)")
    }
}
