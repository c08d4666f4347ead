import Testing
import TesseraTensor
@testable import TesseraNN

/// Batch normalization's two modes and its running statistics in training (the values against
/// PyTorch are in "Layers against PyTorch").
@Suite("Batch normalization")
struct BatchNormTests {
    static let spec = ModelSpec(name: "bn", inputShape: [2, 3, 3], layers: [.batchNorm(channels: 2), .flatten, .linear(inputs: 18, outputs: 3)])

    /// Training standardizes each channel over the batch; evaluation uses the running
    /// statistics, so a fresh model (mean 0, variance 1) leaves its input almost as it is.
    @Test func trainingUsesTheBatchAndEvaluationTheRunningStatistics() throws {
        let layer = BatchNorm(channels: 2)
        var generator = SeededGenerator(seed: 1)
        let parameters = try ParameterSet(layer.makeParameters(using: &generator))
        let input = try Tensor.normal([4, 2, 3, 3], mean: 5, standardDeviation: 3, seed: 2)
        var training = ForwardContext(training: true)
        let trained = try layer.forward(input, parameters: LayerParameters(parameters), context: &training)
        let channelMeans = try trained.permuted([1, 0, 2, 3]).reshaped([2, 36]).mean(alongAxes: [1]).scalars
        #expect(channelMeans.allSatisfy { abs($0) < 1e-5 })
        #expect(training.updatedBuffers.map(\.name) == ["running_mean", "running_var"])
        var evaluation = ForwardContext(training: false)
        let evaluated = try layer.forward(input, parameters: LayerParameters(parameters), context: &evaluation)
        #expect(zip(evaluated.scalars, input.scalars).allSatisfy { abs($0 - $1 / (1 + 1e-5).squareRoot()) < 1e-5 })
        #expect(evaluation.updatedBuffers.isEmpty)
    }

    /// A training step sets the running statistics to what the pass computed, whatever the
    /// optimizer's weight decay or momentum would do to them, and the gradient clip does not
    /// count them.
    @Test func aStepSetsTheRunningStatisticsAndTrainsTheRest() throws {
        let model = try Model(spec: Self.spec, seed: 3)
        #expect(model.bufferNames == ["bn1.running_mean", "bn1.running_var"])
        var trainer = Trainer(model: model, optimizer: try SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.5))
        trainer.gradientClip = 1
        let inputs = try Tensor.normal([8, 2, 3, 3], mean: 2, standardDeviation: 1.5, seed: 4)
        let labels = try Tensor([0, 1, 2, 0, 1, 2, 0, 1], shape: [8])
        try trainer.step(inputs: inputs, labels: labels)
        let byChannel = try inputs.permuted([1, 0, 2, 3]).reshaped([2, 72])
        let mean = try byChannel.mean(alongAxes: [1]).scalars
        let centred = try byChannel - byChannel.mean(alongAxes: [1], keepingDimensions: true)
        let unbiased = try (centred * centred).sum(alongAxes: [1]).scalars.map { $0 / 71 }
        let runningMean = try #require(trainer.model.parameters["bn1.running_mean"]).scalars
        let runningVar = try #require(trainer.model.parameters["bn1.running_var"]).scalars
        for channel in 0..<2 {
            #expect(abs(runningMean[channel] - 0.1 * mean[channel]) < 1e-5)
            #expect(abs(runningVar[channel] - (0.9 + 0.1 * unbiased[channel])) < 1e-5)
        }
        #expect(trainer.model.parameters["fc1.weight"] != model.parameters["fc1.weight"])
        #expect(trainer.model.parameters["bn1.weight"] != model.parameters["bn1.weight"])
    }

    /// One sample without positions has no batch statistics: a typed error, as PyTorch's.
    @Test func oneValuePerChannelIsATypedError() throws {
        let model = try Model(spec: ModelSpec(name: "bn", inputShape: [4], layers: [.batchNorm(channels: 4)]), seed: 1)
        var context = ForwardContext(training: true)
        #expect(throws: NNError.self) { try model.forward(Tensor.ones([1, 4]), context: &context) }
        #expect(try model.predict(Tensor.ones([1, 4])).shape == [1, 4])
    }

    /// A client whose data leaves a last batch of one sample trains on the rest instead of
    /// failing every round.
    @Test func aLastBatchOfOneSampleIsSkipped() throws {
        let spec = ModelSpec(name: "bn", inputShape: [4], layers: [.batchNorm(channels: 4), .linear(inputs: 4, outputs: 2)])
        var trainer = Trainer(model: try Model(spec: spec, seed: 1), optimizer: try SGD(learningRate: 0.1))
        let batches = [(inputs: try Tensor.normal([3, 4], seed: 2), labels: try Tensor([0, 1, 0], shape: [3])),
                       (inputs: try Tensor.normal([1, 4], seed: 3), labels: try Tensor([1], shape: [1]))]
        var seen: [Int] = []
        let loss = try trainer.train(batches) { samples, _ in seen.append(samples) }
        #expect(seen == [3] && loss.isFinite)
    }
}
