import TesseraTensor

/// An optimizer chosen by name at run time, as a train task names it: `sgd` (momentum, weight
/// decay), `adam` (L2 weight decay) or `adamw` (decoupled weight decay), with PyTorch's update
/// rules and Adam's default betas (0.9, 0.999) and epsilon (1e-8).
public enum OptimizerChoice: Optimizer {
    /// ``SGD``.
    case sgd(SGD)
    /// ``Adam``, AdamW when its weight decay is decoupled.
    case adam(Adam)

    /// The names ``init(named:learningRate:momentum:weightDecay:)`` takes.
    public static let names = ["sgd", "adam", "adamw"]

    /// The optimizer `name` with these settings.
    ///
    /// - Throws: ``NNError`` for an unknown name (with the nearest), momentum outside [0, 1) or
    ///   given to Adam, or a negative rate or decay.
    public init(named name: String, learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) throws {
        guard momentum >= 0, momentum < 1 else { throw NNError(.invalidArgument, "momentum \(momentum) is outside [0, 1)") }
        switch name {
        case "sgd":
            self = .sgd(try SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay))
        case "adam", "adamw":
            guard momentum == 0 else {
                throw NNError(.invalidArgument, "momentum is for sgd; \(name) keeps its own moments (betas 0.9 and 0.999)")
            }
            self = .adam(try Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: name == "adamw"))
        default:
            throw NNError(.invalidArgument, "no optimizer '\(name)'" + NearestName.hint(for: name, in: Self.names)
                          + "; one of \(Self.names.joined(separator: ", "))")
        }
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet) throws {
        switch self {
        case var .sgd(optimizer):
            try optimizer.step(&parameters, gradients: gradients)
            self = .sgd(optimizer)
        case var .adam(optimizer):
            try optimizer.step(&parameters, gradients: gradients)
            self = .adam(optimizer)
        }
    }

    public var state: OptimizerState {
        switch self {
        case let .sgd(optimizer): optimizer.state
        case let .adam(optimizer): optimizer.state
        }
    }

    public mutating func restore(_ state: OptimizerState) throws {
        switch self {
        case var .sgd(optimizer):
            try optimizer.restore(state)
            self = .sgd(optimizer)
        case var .adam(optimizer):
            try optimizer.restore(state)
            self = .adam(optimizer)
        }
    }
}
