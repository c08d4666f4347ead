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
        /// Its trained parameters.
        public var parameters: Int
    }

    /// Each layer's name, kind, output shape and parameters, in order (like torchinfo's or
    /// Keras' summary).
    ///
    /// - Throws: ``NNError`` when a layer does not fit the shape it receives.
    public func summary() throws -> [LayerSummary] {
        var shape = inputShape
        return try zip(namedLayers(), layers).map { named, spec in
            shape = try named.layer.outputShape(for: shape)
            return LayerSummary(name: named.name, kind: spec.description, outputShape: shape, parameters: spec.parameterCount)
        }
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
        }
    }

    /// Its trained parameters: weights and biases.
    public var parameterCount: Int {
        switch self {
        case let .conv2d(input, output, kernel, _, _): output * input * kernel * kernel + output
        case let .linear(inputs, outputs): outputs * inputs + outputs
        case .maxPool2d, .avgPool2d, .relu, .flatten, .dropout: 0
        }
    }
}
