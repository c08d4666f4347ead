import TesseraTensor

/// A building block of a model. Layers are values that describe computation; their parameters
/// live outside them in a ``ParameterSet`` (so weights can be sent, averaged and swapped without
/// touching the architecture), and are looked up by name during `forward`.
public protocol Layer: Sendable {
    /// This layer's parameters at initialization, named relative to the layer ("weight",
    /// "bias"), drawn from `generator`. Layers without parameters return none.
    func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)]

    /// The layer applied to a batch `input` (batch dimension first).
    func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor

    /// The per-sample output shape for a per-sample input shape (no batch dimension).
    ///
    /// - Throws: ``NNError`` when the layer cannot take that input.
    func outputShape(for inputShape: [Int]) throws -> [Int]

    /// The names (as in ``makeParameters(using:)``) of the parameters that are buffers: state a
    /// training pass sets (``ForwardContext/updatedBuffers``) rather than a gradient trains,
    /// such as batch normalization's running statistics.
    func bufferNames() -> [String]
}

extension Layer {
    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] { [] }
    public func bufferNames() -> [String] { [] }
}

/// Whether a forward pass trains (dropout active) and the randomness it may use.
public struct ForwardContext: Sendable {
    /// Training mode: dropout drops; evaluation mode: every layer is deterministic.
    public var training: Bool
    /// Source of dropout masks.
    public var generator: SeededGenerator
    /// In evaluation mode, normalize with each batch's own statistics rather than the running
    /// ones (a global model whose running statistics stay on the clients); nothing is updated.
    public var batchStatistics = false
    /// The buffers a training pass set, by full name, in the order set (batch normalization's
    /// running statistics); the caller stores them into the parameters after the step.
    public var updatedBuffers: [(name: String, tensor: Tensor)] = []

    /// A context in `training` or evaluation mode drawing randomness from `seed`.
    public init(training: Bool, seed: UInt64 = 0) {
        self.training = training
        generator = SeededGenerator(seed: seed)
    }
}

/// The parameters of one layer inside a model's ``ParameterSet``.
public struct LayerParameters: Sendable {
    let set: ParameterSet
    let prefix: String

    /// Parameters of a standalone layer (names without prefix).
    public init(_ set: ParameterSet) {
        self.set = set
        prefix = ""
    }

    init(_ set: ParameterSet, prefix: String) {
        self.set = set
        self.prefix = prefix
    }

    /// The parameters of the part `name` of this layer (a residual block's shortcut).
    func nested(_ name: String) -> LayerParameters {
        LayerParameters(set, prefix: fullName(name))
    }

    /// The name of this layer's parameter `name` in the whole set.
    public func fullName(_ name: String) -> String {
        prefix.isEmpty ? name : "\(prefix).\(name)"
    }

    /// The parameter `name` of this layer.
    ///
    /// - Throws: ``NNError`` when the set has no such parameter.
    public func callAsFunction(_ name: String) throws -> Tensor {
        let fullName = fullName(name)
        guard let tensor = set[fullName] else {
            throw NNError(.parameterMismatch, "missing parameter '\(fullName)'")
        }
        return tensor
    }
}
