import Testing
import TesseraNN
import TesseraTensor

@Suite("Losses")
struct LossTests {
    @Test func meanSquaredErrorAndItsGradient() throws {
        let predictions = try Tensor([1, 2, 3, 5], shape: [2, 2]).requiringGrad()
        let targets = try Tensor([1, 1, 1, 1], shape: [2, 2])
        let loss = try Loss.meanSquaredError(predictions: predictions, targets: targets)
        #expect(loss.scalar == 5.25)   // (0 + 1 + 4 + 16) / 4
        try loss.backward()
        // d/dp mean((p - t)²) = 2 (p - t) / n
        #expect(predictions.grad?.scalars == [0, 0.5, 1, 2])
        #expect(throws: NNError.self) { try Loss.meanSquaredError(predictions: predictions, targets: Tensor([1, 2])) }
    }

    @Test func crossEntropyOfUniformLogitsIsLogOfClasses() throws {
        let loss = try Loss.crossEntropy(logits: Tensor.zeros([3, 10]), labels: Tensor([0, 5, 9]))
        #expect(abs(loss.scalar! - 2.302585) < 1e-5)   // ln 10
    }
}
