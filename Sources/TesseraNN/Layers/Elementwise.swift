import TesseraTensor

/// `max(x, 0)`.
public struct ReLU: Layer {
    /// A ReLU.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        input.relu()
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// Flattens each sample to one dimension: `[N, ...] → [N, product]`.
public struct Flatten: Layer {
    /// A flatten.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard input.rank >= 1 else { throw NNError(.invalidArgument, "flatten needs a batch dimension, got a scalar") }
        return try input.reshaped([input.shape[0], input.count / max(input.shape[0], 1)])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { [inputShape.reduce(1, *)] }
}

/// Inverted dropout: in training, zeroes each element with `probability` and scales the rest by
/// `1 / (1 - probability)`; in evaluation, the identity.
public struct Dropout: Layer {
    /// Probability of dropping an element, in `[0, 1)`.
    public let probability: Float

    /// Dropout with drop `probability` (clamped to `[0, 0.999]`).
    public init(probability: Float) {
        self.probability = min(max(probability, 0), 0.999)
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard context.training, probability > 0 else { return input }
        let keep = 1 - probability
        var mask = [Float](repeating: 0, count: input.count)
        for index in mask.indices where context.generator.nextUnitFloat() < keep { mask[index] = 1 / keep }
        return try input * Tensor(mask, shape: input.shape)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}
