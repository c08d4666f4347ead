import TesseraTensor

/// A fully connected layer, `y = x · Wᵀ + b`, with PyTorch's weight layout `[outputs, inputs]`.
public struct Linear: Layer {
    /// Input features.
    public let inputs: Int
    /// Output features.
    public let outputs: Int
    /// Whether a bias is added.
    public let hasBias: Bool
    /// How the weights are drawn.
    public let initialization: Initialization

    /// A layer mapping `inputs` features to `outputs`.
    public init(inputs: Int, outputs: Int, bias: Bool = true, initialization: Initialization = .pytorchDefault) {
        self.inputs = inputs
        self.outputs = outputs
        hasBias = bias
        self.initialization = initialization
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        var parameters = [(name: "weight", tensor: try initialization.weight(
            [outputs, inputs], fanIn: inputs, fanOut: outputs, using: &generator))]
        if hasBias {
            parameters.append((name: "bias", tensor: try initialization.bias(outputs, fanIn: inputs, using: &generator)))
        }
        return parameters
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        let product = try input.matmul(parameters("weight"), transposingOther: true)
        return hasBias ? try product + parameters("bias") : product
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [inputs] else {
            throw NNError(.invalidSpec, "linear \(inputs)->\(outputs) cannot take input of shape \(inputShape) (flatten first?)")
        }
        return [outputs]
    }
}
