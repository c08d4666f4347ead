import TesseraTensor

/// Trains a ``Model`` with an ``Optimizer`` on batches of (inputs, labels) with cross-entropy:
/// the loop a centralized run and a federated worker both use.
public struct Trainer<O: Optimizer>: Sendable {
    /// The model being trained.
    public var model: Model
    /// The optimizer and its state.
    public var optimizer: O
    /// Source of dropout randomness, advanced every step.
    public var generator: SeededGenerator
    /// FedProx's proximal term (Li et al. 2020): adds `mu · (w − anchor)` to every gradient,
    /// keeping local training near the global model `anchor`. Nil: plain training.
    public var proximal: (mu: Float, anchor: ParameterSet)?
    /// Gradient clipping: each step's gradients (with the proximal term) scaled down to this
    /// total L2 norm when they exceed it, as `torch.nn.utils.clip_grad_norm_`. 0: none.
    public var gradientClip: Float = 0

    /// A trainer for `model` with `optimizer`; `seed` drives dropout.
    public init(model: Model, optimizer: O, seed: UInt64 = 0) {
        self.model = model
        self.optimizer = optimizer
        generator = SeededGenerator(seed: seed)
    }

    /// One step: forward, cross-entropy, backward, optimizer update. Returns the batch's mean loss.
    ///
    /// - Throws: ``NNError`` or ``/TesseraTensor/TensorError`` when the batch does not fit the model.
    @discardableResult
    public mutating func step(inputs: Tensor, labels: Tensor) throws -> Float {
        var gradients: ParameterSet
        let loss: Float
        var buffers: [(name: String, tensor: Tensor)] = []
        do {
            // The tracked copies and the graph die at the end of this scope, so the update
            // below changes the parameters' storage in place instead of copying it.
            let tracked = model.parameters.requiringGrad()
            var context = ForwardContext(training: true, seed: generator.next())
            let logits = try model.forward(inputs, parameters: tracked, context: &context)
            let lossTensor = try logits.crossEntropy(labels: labels)
            try lossTensor.backward()
            gradients = try tracked.gradients()
            loss = lossTensor.scalar ?? .nan
            buffers = context.updatedBuffers
        }
        if let (mu, anchor) = proximal {
            try gradients.add(model.parameters.subtracting(anchor), scaledBy: mu)
        }
        // Buffers are set by the pass, not trained: no proximal pull on them, no share of the clip.
        for name in model.bufferNames { try gradients.replace(name, with: Tensor.zeros(gradients[name]?.shape ?? [])) }
        if gradientClip > 0 { gradients = gradients.clipped(toNorm: Double(gradientClip)).parameters }
        try optimizer.step(&model.parameters, gradients: gradients)
        // What the optimizer did to them (weight decay) is overwritten by the pass's values.
        for (name, tensor) in buffers { try model.parameters.replace(name, with: tensor.detached()) }
        return loss
    }

    /// Trains on every batch of `batches` in order (but a batch of one sample when the model has
    /// batch normalization); `progress` sees each batch's size and loss. Returns the mean loss
    /// per sample.
    public mutating func train<Batches: Sequence>(
        _ batches: Batches, progress: (_ samples: Int, _ loss: Float) -> Void = { _, _ in }
    ) throws -> Double where Batches.Element == (inputs: Tensor, labels: Tensor) {
        var total = 0.0, count = 0
        for (inputs, labels) in batches {
            // Batch normalization cannot take batch statistics of one sample: a client whose
            // data leaves a last batch of one skips it (PyTorch's users drop it with drop_last).
            if labels.count == 1 && !model.bufferNames.isEmpty { continue }
            let loss = try step(inputs: inputs, labels: labels)
            total += Double(loss) * Double(labels.count)
            count += labels.count
            progress(labels.count, loss)
        }
        return count > 0 ? total / Double(count) : .nan
    }
}
