import TesseraTensor

/// A 2-D convolution over NCHW batches with PyTorch's weight layout `[out, in, kh, kw]`.
public struct Conv2d: Layer {
    /// Input channels.
    public let inputChannels: Int
    /// Output channels.
    public let outputChannels: Int
    /// Kernel size.
    public let kernel: Size2D
    /// Stride, padding and dilation.
    public let options: Conv2DOptions
    /// Whether a bias is added.
    public let hasBias: Bool
    /// How the weights are drawn.
    public let initialization: Initialization

    /// A convolution from `inputChannels` to `outputChannels` with a `kernel` window.
    public init(
        inputChannels: Int, outputChannels: Int, kernel: Size2D, options: Conv2DOptions = Conv2DOptions(),
        bias: Bool = true, initialization: Initialization = .pytorchDefault
    ) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.options = options
        hasBias = bias
        self.initialization = initialization
    }

    private var fanIn: Int { inputChannels * kernel.height * kernel.width }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        var parameters = [(name: "weight", tensor: try initialization.weight(
            [outputChannels, inputChannels, kernel.height, kernel.width], fanIn: fanIn,
            fanOut: outputChannels * kernel.height * kernel.width, using: &generator))]
        if hasBias {
            parameters.append((name: "bias", tensor: try initialization.bias(outputChannels, fanIn: fanIn, using: &generator)))
        }
        return parameters
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        try input.conv2d(weight: parameters("weight"), bias: hasBias ? parameters("bias") : nil, options: options)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[0] == inputChannels else {
            throw NNError(.invalidSpec, "conv2d \(inputChannels)->\(outputChannels) needs a [\(inputChannels), H, W] input, got \(inputShape)")
        }
        return [outputChannels] + (try windowOutput(inputShape, kernel: kernel, stride: options.stride,
                                                    padding: options.padding, dilation: options.dilation))
    }
}

/// Output height and width of a window operation, or an error naming the layer's input.
func windowOutput(_ inputShape: [Int], kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D) throws -> [Int] {
    let spanHeight = dilation.height * (kernel.height - 1) + 1
    let spanWidth = dilation.width * (kernel.width - 1) + 1
    let height = inputShape[1] + 2 * padding.height - spanHeight
    let width = inputShape[2] + 2 * padding.width - spanWidth
    guard height >= 0, width >= 0, stride.height > 0, stride.width > 0 else {
        throw NNError(.invalidSpec, "a \(kernel) window does not fit an input of shape \(inputShape)")
    }
    return [height / stride.height + 1, width / stride.width + 1]
}
