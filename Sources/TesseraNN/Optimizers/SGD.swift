import TesseraTensor

/// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov) and weight
/// decay, with PyTorch's update rule:
/// `g ← g + λ·p; v ← μ·v + g (v₀ = g); p ← p − η·(nesterov ? g + μ·v : v)`.
public struct SGD: Optimizer {
    /// Learning rate η.
    public var learningRate: Float
    /// Momentum μ (0: plain SGD).
    public var momentum: Float
    /// Nesterov momentum instead of heavy-ball.
    public var nesterov: Bool
    /// L2 weight decay λ.
    public var weightDecay: Float
    private var velocity: ParameterSet?
    private var steps = 0

    /// An optimizer with the given settings.
    ///
    /// - Throws: ``NNError`` for a negative rate, momentum or decay, or Nesterov without momentum.
    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) throws {
        guard learningRate >= 0, momentum >= 0, weightDecay >= 0, !(nesterov && momentum == 0) else {
            throw NNError(.invalidArgument, "SGD needs non-negative learning rate, momentum and weight decay, and momentum for Nesterov")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet) throws {
        try parameters.checkCompatible(with: gradients, operation: "SGD step")
        var direction = gradients.detached()
        if weightDecay != 0 { try direction.add(parameters.detached(), scaledBy: weightDecay) }
        if momentum != 0 {
            if var buffer = velocity {
                try buffer.checkCompatible(with: direction, operation: "SGD momentum")
                buffer = buffer.scaled(by: momentum)
                try buffer.add(direction, scaledBy: 1)
                velocity = buffer
            } else {
                velocity = direction
            }
            if nesterov, let buffer = velocity {
                try direction.add(buffer, scaledBy: momentum)
            } else if let buffer = velocity {
                direction = buffer
            }
        }
        try parameters.add(direction, scaledBy: -learningRate)
        steps += 1
    }

    public var state: OptimizerState {
        OptimizerState(kind: "sgd", step: steps, buffers: velocity.map { ["momentum": $0] } ?? [:])
    }

    public mutating func restore(_ state: OptimizerState) throws {
        try state.checkKind("sgd", bufferNames: ["momentum"])
        steps = state.step
        velocity = state.buffers["momentum"]
    }
}
