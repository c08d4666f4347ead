import Testing
import TesseraNN
import TesseraTensor

@Suite("Layers against hand-computed values")
struct LayerTests {
    func run(_ layer: any Layer, _ input: Tensor, _ parameters: [(name: String, tensor: Tensor)], training: Bool = false) throws -> Tensor {
        var context = ForwardContext(training: training, seed: 3)
        return try layer.forward(input, parameters: LayerParameters(ParameterSet(parameters)), context: &context)
    }

    @Test func linearComputesXWtPlusB() throws {
        let w = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])   // [outputs, inputs]
        let b = Tensor([10, 20])
        let x = try Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3])
        let y = try run(Linear(inputs: 3, outputs: 2), x, [("weight", w), ("bias", b)])
        // row 1: [1-3, 4-6] + b = [8, 18]; row 2: [2+2, 8+5] + b = [14, 33]
        #expect(y.scalars == [8, 18, 14, 33])
    }

    @Test func linearGradientsMatchHandValues() throws {
        let w = try Tensor([1, 2, 3, 4], shape: [2, 2]).requiringGrad()
        let b = Tensor([0, 0]).requiringGrad()
        let x = try Tensor([1, 2], shape: [1, 2])
        let y = try run(Linear(inputs: 2, outputs: 2), x, [("weight", w), ("bias", b)])
        try y.sum().backward()
        // d sum(x·Wᵀ + b)/dW[o][i] = x[i]; /db = 1
        #expect(w.grad?.scalars == [1, 2, 1, 2])
        #expect(b.grad?.scalars == [1, 1])
    }

    @Test func convolutionOfOnesCountsTheWindow() throws {
        let x = try Tensor.ones([1, 1, 3, 3])
        let w = try Tensor.ones([1, 1, 2, 2])
        let y = try run(Conv2d(inputChannels: 1, outputChannels: 1, kernel: 2, options: Conv2DOptions(padding: 1)),
                        x, [("weight", w), ("bias", Tensor([0.5]))])
        #expect(y.shape == [1, 1, 4, 4])
        #expect(y.scalars == [1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1].map { $0 + 0.5 })
    }

    @Test func poolingFlattenAndReLU() throws {
        let x = try Tensor([1, -2, 3, 4, 5, 6, -7, 8, 9, 10, 11, 12, 13, 14, 15, -16], shape: [1, 1, 4, 4])
        #expect(try run(MaxPool2d(kernel: 2), x, []).scalars == [6, 8, 14, 15])
        #expect(try run(AvgPool2d(kernel: 2), x, []).scalars == [2.5, 2, 11.5, 5.5])
        #expect(try run(Flatten(), x, []).shape == [1, 16])
        #expect(try run(ReLU(), x, []).scalars.filter { $0 < 0 }.isEmpty)
    }

    @Test func dropoutScalesInTrainingAndPassesInEvaluation() throws {
        let x = try Tensor.ones([1, 10_000])
        let dropout = Dropout(probability: 0.25)
        #expect(try run(dropout, x, []) == x)
        let trained = try run(dropout, x, [], training: true).scalars
        #expect(Set(trained).isSubset(of: [0, Float(1) / 0.75]))
        let kept = Double(trained.filter { $0 > 0 }.count) / 10_000
        #expect(abs(kept - 0.75) < 0.02)
    }

    @Test func missingParametersAreNamed() throws {
        let error = try #require(throws: NNError.self) {
            try run(Linear(inputs: 2, outputs: 2), Tensor.zeros([1, 2]), [("weight", Tensor.zeros([2, 2]))])
        }
        #expect(error.description.contains("bias"))
    }

    @Test func aSmallModelOverfitsATinyBatch() throws {
        let spec = ModelSpec(name: "tiny", inputShape: [1, 6, 6], layers: [
            .conv2d(inputChannels: 1, outputChannels: 4, kernel: 3, padding: 1), .relu, .maxPool2d(kernel: 2, stride: 2),
            .flatten, .linear(inputs: 36, outputs: 16), .relu, .linear(inputs: 16, outputs: 4),
        ])
        var trainer = Trainer(model: try Model(spec: spec, seed: 2), optimizer: try SGD(learningRate: 0.1, momentum: 0.9))
        let inputs = try Tensor.normal([8, 1, 6, 6], seed: 5)
        let labels = Tensor([0, 1, 2, 3, 0, 1, 2, 3])
        var loss: Float = .infinity
        for _ in 0..<300 { loss = try trainer.step(inputs: inputs, labels: labels) }
        #expect(loss < 0.01)
        let evaluation = try trainer.model.evaluate([(inputs: inputs, labels: labels)])
        #expect(evaluation.accuracy == 1)
    }
}
