// 2-D convolution over NCHW tensors (groups = 1), with backward for input, weight and bias.

extension Tensor {
    /// Cross-correlates this N × C × H × W input with an O × C × KH × KW `weight` (as PyTorch's
    /// `conv2d`), adding `bias` (O elements) when given. Output: N × O × OH × OW.
    ///
    /// - Throws: ``TensorError`` when ranks, channel counts or the bias size do not match, or
    ///   the window does not fit the padded input.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, options: Conv2DOptions = Conv2DOptions()) throws -> Tensor {
        guard weight.rank == 4 else {
            throw TensorError.invalidArgument("conv2d", "weight must be O x C x KH x KW, got shape \(weight.shape)")
        }
        let geometry = try WindowGeometry(
            operation: "conv2d", input: shape, kernel: Size2D(height: weight.shape[2], width: weight.shape[3]),
            stride: options.stride, padding: options.padding, dilation: options.dilation)
        guard weight.shape[1] == geometry.channels else {
            throw TensorError.shapeMismatch("conv2d", shape, weight.shape, "input has \(geometry.channels) channels, weight expects \(weight.shape[1])")
        }
        let outputChannels = weight.shape[0]
        if let bias, bias.shape != [outputChannels] {
            throw TensorError.shapeMismatch("conv2d", weight.shape, bias.shape, "bias must have shape [\(outputChannels)]")
        }
        let outputShape = [geometry.batch, outputChannels, geometry.outputHeight, geometry.outputWidth]
        let count = Shape.count(outputShape)
        let storage = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            self.storage.withUnsafeBufferPointer { x in
                weight.storage.withUnsafeBufferPointer { w in
                    (bias?.storage ?? []).withUnsafeBufferPointer { b in
                        guard let px = x.baseAddress, let pw = w.baseAddress, let po = out.baseAddress else {
                            out.initialize(repeating: 0)
                            return
                        }
                        Convolution.forward(px, weight: pw, bias: bias == nil ? nil : b.baseAddress, output: po,
                                            outputChannels: outputChannels, geometry: geometry)
                    }
                }
            }
            initialized = count
        }
        let result = Tensor(shape: outputShape, storage: storage)
        let (input, kernel) = (detached(), weight.detached())
        let needs = (node != nil, weight.node != nil, bias?.node != nil)
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        return Self.recorded(result, inputs: inputs) { gradient in
            var gradients: [Tensor?] = [
                needs.0 ? Self.convolutionInputGradient(gradient, weight: kernel, inputShape: input.shape, geometry: geometry) : nil,
                needs.1 ? Self.convolutionWeightGradient(gradient, input: input, weightShape: kernel.shape, geometry: geometry) : nil,
            ]
            if needs.2 { gradients.append(try gradient.sum(alongAxes: [0, 2, 3])) }
            return gradients
        }
    }

    /// The gradient of `conv2d` with respect to its input, given the output `gradient`
    /// (N × O × OH × OW), the `weight` and the input's shape. Not recorded for autograd.
    ///
    /// - Throws: ``TensorError`` when the shapes do not describe one convolution.
    public static func conv2dInputGradient(
        _ gradient: Tensor, weight: Tensor, inputShape: [Int], options: Conv2DOptions = Conv2DOptions()
    ) throws -> Tensor {
        let geometry = try backwardGeometry(gradient, weightShape: weight.shape, inputShape: inputShape, options: options)
        return convolutionInputGradient(gradient, weight: weight, inputShape: inputShape, geometry: geometry)
    }

    /// The gradient of `conv2d` with respect to its weight, given the output `gradient`
    /// (N × O × OH × OW), the `input` and the weight's shape. Not recorded for autograd.
    ///
    /// - Throws: ``TensorError`` when the shapes do not describe one convolution.
    public static func conv2dWeightGradient(
        _ gradient: Tensor, input: Tensor, weightShape: [Int], options: Conv2DOptions = Conv2DOptions()
    ) throws -> Tensor {
        let geometry = try backwardGeometry(gradient, weightShape: weightShape, inputShape: input.shape, options: options)
        return convolutionWeightGradient(gradient, input: input, weightShape: weightShape, geometry: geometry)
    }

    private static func backwardGeometry(
        _ gradient: Tensor, weightShape: [Int], inputShape: [Int], options: Conv2DOptions
    ) throws -> WindowGeometry {
        guard weightShape.count == 4, inputShape.count == 4, weightShape[1] == inputShape[1] else {
            throw TensorError.shapeMismatch("conv2d backward", inputShape, weightShape, "expected N x C x H x W input and O x C x KH x KW weight")
        }
        try Shape.validate(inputShape)
        try Shape.validate(weightShape)
        let geometry = try WindowGeometry(
            operation: "conv2d backward", input: inputShape, kernel: Size2D(height: weightShape[2], width: weightShape[3]),
            stride: options.stride, padding: options.padding, dilation: options.dilation)
        let expected = [geometry.batch, weightShape[0], geometry.outputHeight, geometry.outputWidth]
        guard gradient.shape == expected else {
            throw TensorError.shapeMismatch("conv2d backward", gradient.shape, expected, "the output gradient must have the output's shape")
        }
        return geometry
    }

    private static func convolutionInputGradient(
        _ gradient: Tensor, weight: Tensor, inputShape: [Int], geometry: WindowGeometry
    ) -> Tensor {
        computed(inputShape, from: gradient.storage, weight.storage) { dy, w, out in
            Convolution.backwardInput(dy, weight: w, inputGradient: out, outputChannels: weight.shape[0], geometry: geometry)
        }
    }

    private static func convolutionWeightGradient(
        _ gradient: Tensor, input: Tensor, weightShape: [Int], geometry: WindowGeometry
    ) -> Tensor {
        computed(weightShape, from: gradient.storage, input.storage) { dy, x, out in
            Convolution.backwardWeight(dy, input: x, weightGradient: out, outputChannels: weightShape[0], geometry: geometry)
        }
    }
}
