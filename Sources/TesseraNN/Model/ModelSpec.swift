import TesseraTensor

/// A serializable description of an architecture: the per-sample input shape, the layers in
/// order, and the number of classes the output scores. A ``Model`` is built from it.
public struct ModelSpec: Codable, Sendable, Hashable {
    /// A short name ("mnist-cnn").
    public var name: String
    /// Shape of one input sample, without the batch dimension ([1, 28, 28] for MNIST).
    public var inputShape: [Int]
    /// The layers, applied in order.
    public var layers: [LayerSpec]

    /// A spec with the given layers.
    public init(name: String, inputShape: [Int], layers: [LayerSpec]) {
        self.name = name
        self.inputShape = inputShape
        self.layers = layers
    }

    /// The built-in architectures by name.
    public static let builtIn: [String: ModelSpec] = [
        "mnist-cnn": .mnistCNN, "mnist-2nn": .mnist2NN, "logreg": .logisticRegression,
        "resnet20-gn": .resnet20GN, "shakespeare-lstm": .shakespeareLSTM, "tabular-mlp": .tabularMLP,
    ]

    /// The spec named `name` among the built-ins.
    ///
    /// - Throws: ``NNError`` listing the known names.
    public static func named(_ name: String) throws -> ModelSpec {
        guard let spec = builtIn[name] else {
            throw NNError(.unknownModel, "unknown model '\(name)'; built-in models: \(builtIn.keys.sorted().joined(separator: ", "))")
        }
        return spec
    }

    /// The FedAvg paper's MNIST CNN: two 5×5 convolutions (32 and 64 channels, "same" padding)
    /// each followed by ReLU and 2×2 max pooling, a 512-unit ReLU layer and a 10-way output;
    /// 1,663,370 parameters.
    public static let mnistCNN = ModelSpec(name: "mnist-cnn", inputShape: [1, 28, 28], layers: [
        .conv2d(inputChannels: 1, outputChannels: 32, kernel: 5, padding: 2), .relu, .maxPool2d(kernel: 2, stride: 2),
        .conv2d(inputChannels: 32, outputChannels: 64, kernel: 5, padding: 2), .relu, .maxPool2d(kernel: 2, stride: 2),
        .flatten, .linear(inputs: 3136, outputs: 512), .relu, .linear(inputs: 512, outputs: 10),
    ])

    /// The FedAvg paper's MNIST 2NN: two hidden layers of 200 ReLU units; 199,210 parameters.
    public static let mnist2NN = ModelSpec(name: "mnist-2nn", inputShape: [1, 28, 28], layers: [
        .flatten, .linear(inputs: 784, outputs: 200), .relu, .linear(inputs: 200, outputs: 200), .relu,
        .linear(inputs: 200, outputs: 10),
    ])

    /// Multinomial logistic regression on the 784 pixels; 7,850 parameters.
    public static let logisticRegression = ModelSpec(name: "logreg", inputShape: [1, 28, 28], layers: [
        .flatten, .linear(inputs: 784, outputs: 10),
    ])

    /// The layers with their names: parameterized layers numbered per kind (conv1, conv2, fc1),
    /// the others by position (relu2, pool3).
    public func namedLayers() -> [(name: String, layer: any Layer)] {
        LayerSpec.named(layers)
    }

    /// The trained parameters of all layers.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Checks sizes and that every layer accepts the previous layer's output; returns the
    /// per-sample output shape.
    ///
    /// - Throws: ``NNError`` naming the first layer that does not fit.
    @discardableResult
    public func validate() throws -> [Int] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw NNError(.invalidSpec, "model '\(name)': input shape \(inputShape) must be non-empty and positive")
        }
        for (index, layer) in layers.enumerated() { try layer.validate(at: index) }
        return try Sequential(namedLayers()).outputShape(for: inputShape)
    }
}
