import Foundation
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
    public var parameterCount: Int { Int(exactly: parameterScalars) ?? Int.max }

    /// The names of the buffers among the model's parameters (batch normalization's running
    /// statistics), as ``Model/bufferNames`` has them.
    public var bufferNames: [String] { Sequential(namedLayers()).bufferNames() }

    /// The values of all layers' buffers (batch normalization's running statistics).
    public var bufferCount: Int { layers.reduce(0) { $0 + $1.bufferCount } }

    /// ``parameterCount`` in floating point (no overflow for any sizes).
    var parameterScalars: Double { layers.reduce(0) { $0 + $1.parameterScalars } }

    /// The most trained parameters a model may have: 500 million (2 GB of float32 weights, and
    /// as much again for each copy a round makes). Anything larger is a mistyped size.
    public static let maximumParameters = 500_000_000

    /// The most values one sample may make at any layer: 2^28 (1 GiB of float32 per sample).
    public static let maximumValuesPerSample = 1 << 28

    /// Checks sizes and that every layer accepts the previous layer's output; returns the
    /// per-sample output shape.
    ///
    /// - Throws: ``NNError`` naming the first layer that does not fit.
    @discardableResult
    public func validate() throws -> [Int] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw NNError(.invalidSpec, "model '\(name)': input shape \(inputShape) must be non-empty and positive")
        }
        guard inputShape.allSatisfy({ $0 <= LayerSpec.largestSize }) else {
            throw NNError(.invalidSpec, "model '\(name)': input shape \(inputShape) has a size beyond \(LayerSpec.largestSize)")
        }
        for (index, layer) in layers.enumerated() { try layer.validate(at: index) }
        guard parameterScalars <= Double(Self.maximumParameters) else {
            throw NNError(.invalidSpec, "model '\(name)' would have \(Self.approximate(parameterScalars)) parameters; at most \(Self.maximumParameters.formatted()) are allowed (is a size mistyped?)")
        }
        var shape = inputShape
        let named = namedLayers()
        for index in -1..<named.count {
            if index >= 0 { shape = try named[index].layer.outputShape(for: shape) }
            let values = shape.reduce(1.0) { $0 * Double($1) }
            guard values <= Double(Self.maximumValuesPerSample) else {
                let place = index < 0 ? "its input" : "layer \(index) (\(named[index].name))"
                throw NNError(.invalidSpec, "model '\(name)': \(place) makes \(shape), \(Self.approximate(values)) values per sample; at most \(Self.maximumValuesPerSample.formatted()) are allowed (is a size mistyped?)")
            }
        }
        return shape
    }

    /// `value` as a reader takes it in at a glance: 1.2e+12.
    private static func approximate(_ value: Double) -> String {
        value < 1e7 ? Int(value).formatted() : String(format: "%.2g", value)
    }
}
