import TesseraTensor

/// The logistic function `1 / (1 + e^-x)` elementwise.
public struct Sigmoid: Layer {
    /// A sigmoid.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        input.sigmoid()
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// The hyperbolic tangent elementwise.
public struct Tanh: Layer {
    /// A tanh.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        input.tanh()
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// GELU elementwise, `x · Φ(x)` with the exact normal CDF (PyTorch's `nn.GELU()`).
public struct GELU: Layer {
    /// A GELU.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        input.gelu()
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// Log-softmax over each sample's last dimension: log-probabilities as a model's output (the
/// cross-entropy of log-probabilities equals that of the logits they came from).
public struct LogSoftmax: Layer {
    /// A log-softmax over the last dimension.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        try input.logSoftmax(alongAxis: -1)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}
