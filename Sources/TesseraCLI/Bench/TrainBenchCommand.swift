import ArgumentParser
import Foundation
import TesseraNN
import TesseraTensor

/// `tessera bench train`: samples/s of a training step (forward, backward, SGD update) and of
/// the forward pass alone on random data, and the time of each layer.
struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training-step and forward samples/s, and time per layer (JSON: bench, model, batch, samples_per_s…).")

    @OptionGroup var options: BenchOptions

    @Option(help: "A built-in model, or a YAML or JSON file declaring one.")
    var model = ModelSpec.mnistCNN

    @Option(help: "Batch size.")
    var batch = 32

    @Flag(inversion: .prefixedNo, help: "Also time each layer alone.")
    var layers = true

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        options.configureThreads()
        let spec = model
        let stopwatch = Stopwatch(reps: options.reps, minTime: options.minTime)
        let classes = try spec.validate().reduce(1, *)
        var generator = SeededGenerator(seed: 1)
        // Token indices for a model that starts with an embedding, else values around 0.
        let inputs: Tensor
        if case let .embedding(vocabulary, _) = spec.layers.first {
            inputs = try Tensor((0..<(batch * spec.inputShape.reduce(1, *))).map { _ in Float(generator.next() % UInt64(vocabulary)) },
                                shape: [batch] + spec.inputShape)
        } else {
            inputs = try Tensor.normal([batch] + spec.inputShape, seed: 1)
        }
        let labels = Tensor((0..<batch).map { Float($0 % classes) })
        var trainer = Trainer(model: try Model(spec: spec, seed: 1), optimizer: try SGD(learningRate: 0.01))

        let step = try stopwatch.measure { try trainer.step(inputs: inputs, labels: labels) }
        let forward = try stopwatch.measure { _ = try trainer.model.predict(inputs) }
        report(["bench": "train", "model": model.name, "batch": batch, "threads": ThreadPool.shared.threadCount,
                "pass": "step", "samples_per_s": Double(batch) / step.seconds.median, "seconds": step.seconds.median])
        report(["bench": "train", "model": model.name, "batch": batch, "threads": ThreadPool.shared.threadCount,
                "pass": "forward", "samples_per_s": Double(batch) / forward.seconds.median, "seconds": forward.seconds.median])

        guard layers else { return }
        // Each layer alone: forward, and forward + backward (gradients to its input and parameters).
        var x = inputs
        for (name, layer) in trainer.model.network.layers {
            let parameters = LayerParameters(trainer.model.parameters.subset(prefix: name))
            let layerInput = x
            var context = ForwardContext(training: true)
            let forwardTime = try stopwatch.measure {
                _ = try GradMode.withoutGradients { try layer.forward(layerInput, parameters: parameters, context: &context) }
            }.seconds.median
            let output = try layer.forward(layerInput, parameters: parameters, context: &context)
            let seed = try Tensor.normal(output.shape, seed: 2)
            let tracked = LayerParameters(trainer.model.parameters.subset(prefix: name).requiringGrad())
            let backwardTime = try stopwatch.measure {
                let y = try layer.forward(layerInput.requiringGrad(), parameters: tracked, context: &context)
                try y.backward(seed: seed)
            }.seconds.median
            report(["bench": "train-layer", "model": model.name, "batch": batch, "layer": name,
                    "forward_seconds": forwardTime, "forward_backward_seconds": backwardTime])
            x = output.detached()
        }
    }

    private func report(_ fields: KeyValuePairs<String, Any>) {
        if options.json {
            printJSONLine(fields)
        } else {
            print(fields.map { field in
                "\(field.key)=" + ((field.value as? Double).map { String(format: "%.5g", $0) } ?? "\(field.value)")
            }.joined(separator: " "))
        }
    }
}
