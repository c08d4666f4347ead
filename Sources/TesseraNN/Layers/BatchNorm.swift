import TesseraTensor

/// Batch normalization (Ioffe & Szegedy 2015) of `[N, C, ...]`, as PyTorch's
/// `nn.BatchNorm1d/2d(channels)`: in training, each channel standardized over the batch and its
/// positions (biased variance) and the running statistics moved towards the batch's
/// (`running_mean`, and `running_var` with the unbiased variance, by `momentum`); in
/// evaluation, standardized with the running statistics. Then a learned scale (`weight`,
/// starting at 1) and shift (`bias`, starting at 0) per channel.
///
/// The running statistics are buffers: they travel and are averaged with the weights, but no
/// gradient or optimizer touches them; a training pass hands their new values to its
/// ``ForwardContext`` (`updatedBuffers`), which the ``Trainer`` writes back after the step.
public struct BatchNorm: Layer {
    /// Channels of the input.
    public let channels: Int
    /// Added to the variance before its square root.
    public let epsilon: Float
    /// How far one batch moves the running statistics (PyTorch's default 0.1).
    public let momentum: Float

    /// A batch normalization of `channels` channels.
    public init(channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
    }

    /// The names of the buffers among its parameters.
    public static let bufferNames = ["running_mean", "running_var"]

    /// Whether `name` (a full parameter name) is a batch normalization's running variance,
    /// which must not be negative.
    public static func isVariance(_ name: String) -> Bool {
        name.hasSuffix(".running_var") || name == "running_var"
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: try Tensor.ones([channels])), (name: "bias", tensor: try Tensor.zeros([channels])),
         (name: "running_mean", tensor: try Tensor.zeros([channels])), (name: "running_var", tensor: try Tensor.ones([channels]))]
    }

    public func bufferNames() -> [String] { Self.bufferNames }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard input.rank >= 2, input.shape[1] == channels else {
            throw NNError(.invalidArgument, "batchnorm of \(channels) channels cannot take input of shape \(input.shape)")
        }
        let perChannel = [channels] + Array(repeating: 1, count: input.rank - 2)
        let (weight, bias) = (try parameters("weight").reshaped(perChannel), try parameters("bias").reshaped(perChannel))
        guard context.training || context.batchStatistics else {
            let scale = try parameters("weight") / (parameters("running_var") + epsilon).sqrt()
            let shift = try parameters("bias") - parameters("running_mean") * scale
            return try input * scale.reshaped(perChannel) + shift.reshaped(perChannel)
        }
        let (batch, positions) = (input.shape[0], input.shape.dropFirst(2).reduce(1, *))
        let values = batch * positions
        guard values > 1 else {
            throw NNError(.invalidArgument, "batchnorm in training needs more than one value per channel, got input of shape \(input.shape) (a batch of one sample without positions)")
        }
        // Channels first, so that each channel's values are one run for the standardization kernel.
        let byChannel = try input.reshaped([batch, channels, positions]).permuted([1, 0, 2])
        let standardized = try byChannel.standardized(inGroupsOf: values, epsilon: epsilon).permuted([1, 0, 2]).reshaped(input.shape)
        guard context.training else { return try standardized * weight + bias }
        try GradMode.withoutGradients {
            let flat = try byChannel.detached().reshaped([channels, values])
            let mean = try flat.mean(alongAxes: [1], keepingDimensions: true)
            let centred = try flat - mean
            let unbiased = try (centred * centred).sum(alongAxes: [1]) / Float(values - 1)
            let keep = 1 - momentum
            context.updatedBuffers.append((name: parameters.fullName("running_mean"),
                                           tensor: try parameters("running_mean").detached() * keep + mean.reshaped([channels]) * momentum))
            context.updatedBuffers.append((name: parameters.fullName("running_var"),
                                           tensor: try parameters("running_var").detached() * keep + unbiased * momentum))
        }
        return try standardized * weight + bias
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count >= 1, inputShape[0] == channels else {
            throw NNError(.invalidSpec, "batchnorm of \(channels) channels cannot take input of shape \(inputShape)")
        }
        return inputShape
    }
}
