/// The primitive operations of the tensor library, as values: what a worker executes when a
/// message asks it to, and what a plan is a list of. Every op is differentiable except
/// `argmax`; composite layers (linear, batch statistics, losses) are built from these.
public enum Op: Sendable, Hashable {
    // Elementwise, two inputs, NumPy broadcasting.
    case add, subtract, multiply, divide, power
    // Elementwise, one input.
    case negate, exp, log, sqrt, relu, sigmoid, tanh
    // Reductions; `axes: nil` reduces every axis.
    case sum(axes: [Int]?, keepDimensions: Bool)
    case mean(axes: [Int]?, keepDimensions: Bool)
    case max(axes: [Int]?, keepDimensions: Bool)
    case argmax(axis: Int, keepDimensions: Bool)
    // Linear algebra and windows. `conv2d` takes input, weight and an optional bias.
    case matmul
    case conv2d(Conv2DOptions)
    case maxPool2d(Pool2DOptions)
    case avgPool2d(Pool2DOptions)
    // Normalization and loss. `crossEntropy` takes logits and labels.
    case softmax(axis: Int)
    case logSoftmax(axis: Int)
    case crossEntropy
    // Layout. `concatenate` takes one or more inputs.
    case reshape([Int])
    case permute([Int])
    case slice(Range<Int>)
    case concatenate(axis: Int)

    /// How many inputs the op takes.
    public var arity: ClosedRange<Int> {
        switch self {
        case .add, .subtract, .multiply, .divide, .power, .matmul, .crossEntropy: 2...2
        case .conv2d: 2...3
        case .concatenate: 1...Int.max
        default: 1...1
        }
    }

    /// The op's name as the wire and the traces spell it.
    public var name: String {
        switch self {
        case .add: "add"
        case .subtract: "subtract"
        case .multiply: "multiply"
        case .divide: "divide"
        case .power: "power"
        case .negate: "negate"
        case .exp: "exp"
        case .log: "log"
        case .sqrt: "sqrt"
        case .relu: "relu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .sum: "sum"
        case .mean: "mean"
        case .max: "max"
        case .argmax: "argmax"
        case .matmul: "matmul"
        case .conv2d: "conv2d"
        case .maxPool2d: "maxPool2d"
        case .avgPool2d: "avgPool2d"
        case .softmax: "softmax"
        case .logSoftmax: "logSoftmax"
        case .crossEntropy: "crossEntropy"
        case .reshape: "reshape"
        case .permute: "permute"
        case .slice: "slice"
        case .concatenate: "concatenate"
        }
    }

    /// Runs the op on `inputs`, recording it for autograd when an input requires grad.
    ///
    /// - Throws: ``TensorError`` for the wrong number of inputs or any error of the op itself.
    public func apply(to inputs: [Tensor]) throws -> Tensor {
        guard arity.contains(inputs.count) else {
            throw TensorError(.arity, "\(name) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) or more") inputs, got \(inputs.count)")
        }
        let x = inputs[0]
        switch self {
        case .add: return try x.adding(inputs[1])
        case .subtract: return try x.subtracting(inputs[1])
        case .multiply: return try x.multiplying(inputs[1])
        case .divide: return try x.dividing(inputs[1])
        case .power: return try x.raised(to: inputs[1])
        case .negate: return x.negated()
        case .exp: return x.exp()
        case .log: return x.log()
        case .sqrt: return x.sqrt()
        case .relu: return x.relu()
        case .sigmoid: return x.sigmoid()
        case .tanh: return x.tanh()
        case let .sum(axes, keep): return try x.sum(alongAxes: axes, keepingDimensions: keep)
        case let .mean(axes, keep): return try x.mean(alongAxes: axes, keepingDimensions: keep)
        case let .max(axes, keep): return try x.max(alongAxes: axes, keepingDimensions: keep)
        case let .argmax(axis, keep): return try x.argmax(alongAxis: axis, keepingDimensions: keep)
        case .matmul: return try x.matmul(inputs[1])
        case let .conv2d(options):
            return try x.conv2d(weight: inputs[1], bias: inputs.count > 2 ? inputs[2] : nil, options: options)
        case let .maxPool2d(options): return try x.maxPool2d(options)
        case let .avgPool2d(options): return try x.avgPool2d(options)
        case let .softmax(axis): return try x.softmax(alongAxis: axis)
        case let .logSoftmax(axis): return try x.logSoftmax(alongAxis: axis)
        case .crossEntropy: return try x.crossEntropy(labels: inputs[1])
        case let .reshape(shape): return try x.reshaped(shape)
        case let .permute(axes): return try x.permuted(axes)
        case let .slice(range): return try x.slice(range)
        case let .concatenate(axis): return try Tensor.concatenate(inputs, alongAxis: axis)
        }
    }
}
