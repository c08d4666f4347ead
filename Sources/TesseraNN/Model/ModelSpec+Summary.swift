extension ModelSpec {
    /// One row of a model's summary: a layer's name, kind, per-sample output shape and
    /// parameter count.
    public struct LayerSummary: Sendable, Equatable {
        /// The layer's name, as its weights are named (`conv1`, `fc2`, `relu3`).
        public var name: String
        /// Its kind with its sizes (`conv 1→32 5×5`).
        public var kind: String
        /// The per-sample shape it outputs.
        public var outputShape: [Int]
        /// Its trained parameters (a residual block's include those of the rows inside it).
        public var parameters: Int
        /// 0 for the model's own layers, 1 for those inside a residual block, and so on.
        public var depth: Int
    }

    /// Each layer's name, kind, output shape and parameters, in order (like torchinfo's or
    /// Keras' summary).
    ///
    /// - Throws: ``NNError`` when a layer does not fit the shape it receives.
    public func summary() throws -> [LayerSummary] {
        try Self.rows(layers, prefix: "", depth: 0, receiving: inputShape).rows
    }

    /// The rows of `layers`, named under `prefix`, receiving `shape`; and the shape they make.
    private static func rows(_ layers: [LayerSpec], prefix: String, depth: Int, receiving shape: [Int]) throws -> (rows: [LayerSummary], shape: [Int]) {
        var shape = shape
        var rows: [LayerSummary] = []
        for (named, spec) in zip(LayerSpec.named(layers), layers) {
            let input = shape
            shape = try named.layer.outputShape(for: shape)
            let name = prefix + named.name
            rows.append(LayerSummary(name: name, kind: spec.description, outputShape: shape, parameters: spec.parameterCount, depth: depth))
            if case let .residual(branch, projection) = spec {
                rows += try Self.rows(branch, prefix: "\(name).", depth: depth + 1, receiving: input).rows
                rows += try Self.rows(projection, prefix: "\(name).shortcut.", depth: depth + 1, receiving: input).rows
            }
        }
        return (rows, shape)
    }
}

extension LayerSpec: CustomStringConvertible {
    /// The kind with its sizes, as a summary shows it.
    public var description: String {
        switch self {
        case let .conv2d(input, output, kernel, stride, padding):
            "conv \(input)→\(output) \(kernel)×\(kernel)" + (stride != 1 ? " stride \(stride)" : "") + (padding != 0 ? " padding \(padding)" : "")
        case let .maxPool2d(kernel, stride): "maxpool \(kernel)×\(kernel)" + (stride != kernel ? " stride \(stride)" : "")
        case let .avgPool2d(kernel, stride): "avgpool \(kernel)×\(kernel)" + (stride != kernel ? " stride \(stride)" : "")
        case let .linear(inputs, outputs): "linear \(inputs)→\(outputs)"
        case .relu: "relu"
        case .flatten: "flatten"
        case let .dropout(probability): "dropout \(probability)"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .gelu: "gelu"
        case .logSoftmax: "logsoftmax"
        case .globalAvgPool: "globalavgpool"
        case let .batchNorm(channels): "batchnorm \(channels) channels"
        case let .groupNorm(groups, channels): "groupnorm \(channels) channels in \(groups) groups"
        case let .layerNorm(shape): "layernorm over \(shape)"
        case let .residual(layers, projection):
            "residual of \(layers.count) layers" + (projection.isEmpty ? "" : " with a projection of \(projection.count)")
        case let .embedding(vocabulary, dimension): "embedding \(vocabulary) tokens→\(dimension)"
        case let .lstm(inputs, hidden, layers): "lstm \(inputs)→\(hidden)" + (layers > 1 ? " × \(layers) layers" : "")
        case .lastStep: "last step"
        }
    }

    /// Its trained parameters: weights and biases (not buffers: ``bufferCount``).
    public var parameterCount: Int { Int(exactly: parameterScalars) ?? Int.max }

    /// ``parameterCount`` in floating point, which cannot overflow for any declared sizes
    /// (exact below 2^53: validation refuses models far smaller).
    var parameterScalars: Double {
        switch self {
        case let .batchNorm(channels): 2 * Double(channels)
        case let .conv2d(input, output, kernel, _, _): Double(output) * Double(input) * Double(kernel) * Double(kernel) + Double(output)
        case let .linear(inputs, outputs): Double(outputs) * Double(inputs) + Double(outputs)
        case let .groupNorm(_, channels): 2 * Double(channels)
        case let .layerNorm(shape): 2 * shape.reduce(1.0) { $0 * Double($1) }
        case let .residual(layers, projection): (layers + projection).reduce(0) { $0 + $1.parameterScalars }
        case let .embedding(vocabulary, dimension): Double(vocabulary) * Double(dimension)
        case let .lstm(inputs, hidden, layers):
            // The first layer reads the inputs, the others the layer below.
            4 * Double(hidden) * ((Double(inputs) + Double(hidden) + 2) + Double(max(0, layers - 1)) * (2 * Double(hidden) + 2))
        case .maxPool2d, .avgPool2d, .relu, .flatten, .dropout, .sigmoid, .tanh, .gelu, .logSoftmax, .globalAvgPool, .lastStep: 0
        }
    }

    /// Its buffers' values: batch normalization's running mean and variance.
    public var bufferCount: Int {
        switch self {
        case let .batchNorm(channels): 2 * channels
        case let .residual(layers, projection): (layers + projection).reduce(0) { $0 + $1.bufferCount }
        default: 0
        }
    }
}
