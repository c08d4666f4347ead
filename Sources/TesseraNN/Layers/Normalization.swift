import TesseraTensor

/// Group normalization (Wu & He 2018) of `[N, C, ...]`: the channels split into `groups`
/// groups, each sample's group standardized over its channels and positions, then a learned
/// scale (`weight`, starting at 1) and shift (`bias`, starting at 0) per channel, as PyTorch's
/// `nn.GroupNorm(groups, channels)`. It does not depend on the batch, which is why it federates
/// better than batch normalization.
public struct GroupNorm: Layer {
    /// Channel groups; divides `channels`.
    public let groups: Int
    /// Channels of the input.
    public let channels: Int
    /// Added to the variance before its square root.
    public let epsilon: Float

    /// A group normalization of `channels` channels in `groups` groups.
    public init(groups: Int, channels: Int, epsilon: Float = 1e-5) {
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: try Tensor.ones([channels])), (name: "bias", tensor: try Tensor.zeros([channels]))]
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard input.rank >= 2, input.shape[1] == channels else {
            throw NNError(.invalidArgument, "groupnorm of \(channels) channels cannot take input of shape \(input.shape)")
        }
        let positions = input.shape.dropFirst(2).reduce(1, *)
        let standardized = try input.standardized(inGroupsOf: channels / groups * positions, epsilon: epsilon)
        let perChannel = [channels] + Array(repeating: 1, count: input.rank - 2)
        return try standardized * parameters("weight").reshaped(perChannel) + parameters("bias").reshaped(perChannel)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count >= 1, inputShape[0] == channels else {
            throw NNError(.invalidSpec, "groupnorm of \(channels) channels cannot take input of shape \(inputShape)")
        }
        guard groups > 0, channels % groups == 0 else {
            throw NNError(.invalidSpec, "groupnorm: \(groups) groups do not divide \(channels) channels")
        }
        return inputShape
    }
}

/// Layer normalization (Ba et al. 2016) over each sample's trailing dimensions `shape`: they are
/// standardized together, then scaled by `weight` and shifted by `bias` (both of `shape`,
/// starting at 1 and 0), as PyTorch's `nn.LayerNorm(shape)`.
public struct LayerNorm: Layer {
    /// The trailing dimensions normalized together.
    public let shape: [Int]
    /// Added to the variance before its square root.
    public let epsilon: Float

    /// A layer normalization over the trailing dimensions `shape`.
    public init(shape: [Int], epsilon: Float = 1e-5) {
        self.shape = shape
        self.epsilon = epsilon
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: try Tensor.ones(shape)), (name: "bias", tensor: try Tensor.zeros(shape))]
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard input.rank > shape.count, Array(input.shape.suffix(shape.count)) == shape else {
            throw NNError(.invalidArgument, "layernorm over \(shape) cannot take input of shape \(input.shape)")
        }
        let standardized = try input.standardized(inGroupsOf: shape.reduce(1, *), epsilon: epsilon)
        return try standardized * parameters("weight") + parameters("bias")
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard !shape.isEmpty, inputShape.count >= shape.count, Array(inputShape.suffix(shape.count)) == shape else {
            throw NNError(.invalidSpec, "layernorm over \(shape) cannot take input of shape \(inputShape)")
        }
        return inputShape
    }
}
