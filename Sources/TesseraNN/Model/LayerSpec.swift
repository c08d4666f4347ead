import TesseraTensor

/// One layer of a ``ModelSpec``, as data: serializable, comparable, and enough to build the layer.
public enum LayerSpec: Codable, Sendable, Hashable {
    /// ``Conv2d`` with a square kernel.
    case conv2d(inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0)
    /// ``MaxPool2d`` with a square window.
    case maxPool2d(kernel: Int, stride: Int)
    /// ``AvgPool2d`` with a square window.
    case avgPool2d(kernel: Int, stride: Int)
    /// ``Linear``.
    case linear(inputs: Int, outputs: Int)
    /// ``ReLU``.
    case relu
    /// ``Flatten``.
    case flatten
    /// ``Dropout``.
    case dropout(probability: Float)

    /// The layer this spec describes.
    public func makeLayer() -> any Layer {
        switch self {
        case let .conv2d(input, output, kernel, stride, padding):
            Conv2d(inputChannels: input, outputChannels: output, kernel: Size2D(kernel),
                   options: Conv2DOptions(stride: Size2D(stride), padding: Size2D(padding)))
        case let .maxPool2d(kernel, stride): MaxPool2d(kernel: Size2D(kernel), stride: Size2D(stride))
        case let .avgPool2d(kernel, stride): AvgPool2d(kernel: Size2D(kernel), stride: Size2D(stride))
        case let .linear(inputs, outputs): Linear(inputs: inputs, outputs: outputs)
        case .relu: ReLU()
        case .flatten: Flatten()
        case let .dropout(probability): Dropout(probability: probability)
        }
    }

    /// The stem of the layer's name: parameterized layers are numbered per kind (conv1, fc2).
    var nameStem: String {
        switch self {
        case .conv2d: "conv"
        case .linear: "fc"
        case .maxPool2d: "pool"
        case .avgPool2d: "avgpool"
        case .relu: "relu"
        case .flatten: "flatten"
        case .dropout: "dropout"
        }
    }

    /// Sizes that must be positive (and a probability in range).
    func validate(at index: Int) throws {
        let sizes: [Int]
        switch self {
        case let .conv2d(input, output, kernel, stride, padding):
            sizes = [input, output, kernel, stride]
            if padding < 0 { throw NNError(.invalidSpec, "layer \(index): padding \(padding) is negative") }
        case let .maxPool2d(kernel, stride), let .avgPool2d(kernel, stride): sizes = [kernel, stride]
        case let .linear(inputs, outputs): sizes = [inputs, outputs]
        case let .dropout(probability):
            sizes = []
            if !(probability >= 0 && probability < 1) {
                throw NNError(.invalidSpec, "layer \(index): dropout probability \(probability) is outside [0, 1)")
            }
        case .relu, .flatten: sizes = []
        }
        if let bad = sizes.first(where: { $0 <= 0 }) {
            throw NNError(.invalidSpec, "layer \(index) (\(self)): size \(bad) must be positive")
        }
    }
}
