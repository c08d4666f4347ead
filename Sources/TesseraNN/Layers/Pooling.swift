import TesseraTensor

/// 2-D max pooling over NCHW batches.
public struct MaxPool2d: Layer {
    /// Window, stride and padding.
    public let options: Pool2DOptions

    /// Max pooling with `kernel` windows stepping by `stride` (default: `kernel`).
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
        options = Pool2DOptions(kernel: kernel, stride: stride, padding: padding)
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        try input.maxPool2d(options)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try pooledShape(inputShape, options, layer: "maxPool2d")
    }
}

/// 2-D average pooling over NCHW batches (padding counted as zeros).
public struct AvgPool2d: Layer {
    /// Window, stride and padding.
    public let options: Pool2DOptions

    /// Average pooling with `kernel` windows stepping by `stride` (default: `kernel`).
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
        options = Pool2DOptions(kernel: kernel, stride: stride, padding: padding)
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        try input.avgPool2d(options)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try pooledShape(inputShape, options, layer: "avgPool2d")
    }
}

/// Global average pooling: each channel of `[N, C, ...]` averaged over all its positions, giving
/// `[N, C]` (PyTorch's `AdaptiveAvgPool2d(1)` followed by a flatten).
public struct GlobalAvgPool: Layer {
    /// A global average pooling.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard input.rank >= 3 else { throw NNError(.invalidArgument, "globalavgpool needs [N, C, positions...], got \(input.shape)") }
        return try input.mean(alongAxes: Array(2..<input.rank))
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count >= 2 else {
            throw NNError(.invalidSpec, "globalavgpool needs [channels, positions...], got \(inputShape)")
        }
        return [inputShape[0]]
    }
}

/// The per-sample output shape of a pooling layer: channels kept, the window applied to H × W.
private func pooledShape(_ inputShape: [Int], _ options: Pool2DOptions, layer: String) throws -> [Int] {
    guard inputShape.count == 3 else { throw NNError(.invalidSpec, "\(layer) needs a [C, H, W] input, got \(inputShape)") }
    return [inputShape[0]] + (try windowOutput(inputShape, kernel: options.kernel, stride: options.stride,
                                               padding: options.padding, dilation: 1))
}
