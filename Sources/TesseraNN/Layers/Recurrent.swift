import TesseraTensor

/// A lookup table of `dimension`-long vectors for token indices `0..<vocabulary`: `[N, T]`
/// indices (whole numbers stored as floats) become `[N, T, dimension]`, as PyTorch's
/// `nn.Embedding`; its `weight` `[vocabulary, dimension]` starts from N(0, 1).
public struct Embedding: Layer {
    /// Distinct tokens.
    public let vocabulary: Int
    /// Length of each token's vector.
    public let dimension: Int

    /// An embedding of `vocabulary` tokens into `dimension` values.
    public init(vocabulary: Int, dimension: Int) {
        self.vocabulary = vocabulary
        self.dimension = dimension
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: try Tensor.normal([vocabulary, dimension], using: &generator))]
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        try parameters("weight").rows(at: input)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 else {
            throw NNError(.invalidSpec, "embedding needs a sequence of token indices [steps], got \(inputShape)")
        }
        return inputShape + [dimension]
    }
}

/// Stacked LSTM layers over `[N, steps, inputs]` sequences from zero states, giving every
/// step's last-layer hidden state `[N, steps, hidden]`, as PyTorch's
/// `nn.LSTM(inputs, hidden, layers, batch_first=True)` with its weight names
/// (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then `_l1`, ...) and
/// initialization, U(−1/√hidden, 1/√hidden).
public struct LSTM: Layer {
    /// Features of each step's input.
    public let inputs: Int
    /// Units of each layer.
    public let hidden: Int
    /// Layers stacked, each reading the one before's hidden states.
    public let layers: Int

    /// `layers` stacked LSTM layers of `hidden` units over inputs of `inputs` features.
    public init(inputs: Int, hidden: Int, layers: Int = 1) {
        self.inputs = inputs
        self.hidden = hidden
        self.layers = layers
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        let bound = 1 / Float(hidden).squareRoot()
        var parameters: [(name: String, tensor: Tensor)] = []
        for layer in 0..<layers {
            for (name, shape) in [("weight_ih", [4 * hidden, layer == 0 ? inputs : hidden]), ("weight_hh", [4 * hidden, hidden]),
                                  ("bias_ih", [4 * hidden]), ("bias_hh", [4 * hidden])] {
                parameters.append((name: "\(name)_l\(layer)", tensor: try Tensor.uniform(shape, low: -bound, high: bound, using: &generator)))
            }
        }
        return parameters
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        var x = input
        for layer in 0..<layers {
            x = try Tensor.lstm(x, weightIH: parameters("weight_ih_l\(layer)"), weightHH: parameters("weight_hh_l\(layer)"),
                                biasIH: parameters("bias_ih_l\(layer)"), biasHH: parameters("bias_hh_l\(layer)"))
        }
        return x
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape[1] == inputs else {
            throw NNError(.invalidSpec, "lstm of \(inputs) input features needs [steps, \(inputs)], got \(inputShape)")
        }
        return [inputShape[0], hidden]
    }
}

/// The last step of each sequence: `[N, steps, features]` → `[N, features]` (what a model
/// that predicts the next token from a sequence reads from its LSTM).
public struct LastStep: Layer {
    /// A last-step selection.
    public init() {}

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 3, input.shape[1] > 0 else { throw NNError(.invalidArgument, "last needs [N, steps, features], got \(input.shape)") }
        let steps = input.shape[1]
        return try input.permuted([1, 0, 2]).slice((steps - 1)..<steps).reshaped([input.shape[0], input.shape[2]])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2 else { throw NNError(.invalidSpec, "last needs [steps, features], got \(inputShape)") }
        return [inputShape[1]]
    }
}
