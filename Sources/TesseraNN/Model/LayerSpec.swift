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
    /// ``Sigmoid``.
    case sigmoid
    /// ``Tanh``.
    case tanh
    /// ``GELU``.
    case gelu
    /// ``LogSoftmax`` over the last dimension.
    case logSoftmax
    /// ``GlobalAvgPool``.
    case globalAvgPool
    /// ``BatchNorm``.
    case batchNorm(channels: Int)
    /// ``GroupNorm``.
    case groupNorm(groups: Int, channels: Int)
    /// ``LayerNorm`` over the trailing dimensions `shape`.
    case layerNorm(shape: [Int])
    /// ``Residual``: `layers` added to the input, or to `projection` of it when that is not empty.
    case residual(layers: [LayerSpec], projection: [LayerSpec])
    /// ``Embedding``.
    case embedding(vocabulary: Int, dimension: Int)
    /// ``LSTM``.
    case lstm(inputs: Int, hidden: Int, layers: Int)
    /// ``LastStep``.
    case lastStep

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
        case .sigmoid: Sigmoid()
        case .tanh: Tanh()
        case .gelu: GELU()
        case .logSoftmax: LogSoftmax()
        case .globalAvgPool: GlobalAvgPool()
        case let .batchNorm(channels): BatchNorm(channels: channels)
        case let .groupNorm(groups, channels): GroupNorm(groups: groups, channels: channels)
        case let .layerNorm(shape): LayerNorm(shape: shape)
        case let .residual(layers, projection):
            Residual(branch: Sequential(Self.named(layers)), shortcut: projection.isEmpty ? nil : Sequential(Self.named(projection)))
        case let .embedding(vocabulary, dimension): Embedding(vocabulary: vocabulary, dimension: dimension)
        case let .lstm(inputs, hidden, layers): LSTM(inputs: inputs, hidden: hidden, layers: layers)
        case .lastStep: LastStep()
        }
    }

    /// `layers` with their names: parameterized layers numbered per kind (conv1, conv2, fc1,
    /// block1), the others by position (relu2, pool3).
    static func named(_ layers: [LayerSpec]) -> [(name: String, layer: any Layer)] {
        var counts: [String: Int] = [:]
        return layers.enumerated().map { index, spec in
            let stem = spec.nameStem
            guard spec.isNumberedPerKind else { return (name: "\(stem)\(index)", layer: spec.makeLayer()) }
            let number = counts[stem, default: 0] + 1
            counts[stem] = number
            return (name: "\(stem)\(number)", layer: spec.makeLayer())
        }
    }

    /// Whether layers of this kind are numbered among their kind (those with parameters).
    private var isNumberedPerKind: Bool {
        switch self {
        case .conv2d, .linear, .batchNorm, .groupNorm, .layerNorm, .residual, .embedding, .lstm: true
        default: false
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
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .gelu: "gelu"
        case .logSoftmax: "logsoftmax"
        case .globalAvgPool: "globalavgpool"
        case .batchNorm: "bn"
        case .groupNorm: "gn"
        case .layerNorm: "ln"
        case .residual: "block"
        case .embedding: "embedding"
        case .lstm: "lstm"
        case .lastStep: "last"
        }
    }

    /// The largest any one size may be (2^31 − 1): shape arithmetic on larger ones could
    /// overflow, and no layer is that wide.
    public static let largestSize = Int(Int32.max)

    /// Sizes that must be positive and at most ``largestSize`` (and a probability in range).
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
        case let .batchNorm(channels): sizes = [channels]
        case let .groupNorm(groups, channels):
            sizes = [groups, channels]
            if groups > 0, channels % groups != 0 {
                throw NNError(.invalidSpec, "layer \(index) (groupnorm): \(groups) groups do not divide \(channels) channels")
            }
        case let .layerNorm(shape):
            sizes = shape.isEmpty ? [0] : shape
        case let .residual(layers, projection):
            sizes = []
            if layers.isEmpty { throw NNError(.invalidSpec, "layer \(index) (residual) has no layers") }
            for layer in layers + projection { try layer.validate(at: index) }
        case let .embedding(vocabulary, dimension): sizes = [vocabulary, dimension]
        case let .lstm(inputs, hidden, layers): sizes = [inputs, hidden, layers]
        case .relu, .flatten, .sigmoid, .tanh, .gelu, .logSoftmax, .globalAvgPool, .lastStep: sizes = []
        }
        if let bad = sizes.first(where: { $0 <= 0 }) {
            throw NNError(.invalidSpec, "layer \(index) (\(self)): size \(bad) must be positive")
        }
        if case let .conv2d(_, _, _, _, padding) = self, padding > Self.largestSize {
            throw NNError(.invalidSpec, "layer \(index) (\(nameStem)): padding \(padding) is beyond \(Self.largestSize.formatted()) (is it mistyped?)")
        }
        if let huge = sizes.first(where: { $0 > Self.largestSize }) {
            throw NNError(.invalidSpec, "layer \(index) (\(nameStem)): size \(huge) is beyond \(Self.largestSize.formatted()) (is it mistyped?)")
        }
    }
}
