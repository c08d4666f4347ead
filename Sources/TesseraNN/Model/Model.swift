import TesseraTensor

/// An architecture (``ModelSpec``) with its current parameters.
public struct Model: Sendable {
    /// The architecture.
    public let spec: ModelSpec
    /// The network built from `spec`.
    public let network: Sequential
    /// The parameters, in the network's order (buffers among them).
    public var parameters: ParameterSet
    /// The names of the parameters that are buffers (batch normalization's running
    /// statistics): set by training passes, never by gradients.
    public let bufferNames: Set<String>

    /// A model of `spec` with parameters initialized from `seed`.
    ///
    /// - Throws: ``NNError`` when the spec does not validate.
    public init(spec: ModelSpec, seed: UInt64) throws {
        try spec.validate()
        self.spec = spec
        network = Sequential(spec.namedLayers())
        bufferNames = Set(spec.bufferNames)
        var generator = SeededGenerator(seed: seed)
        parameters = try ParameterSet(network.makeParameters(using: &generator))
    }

    /// A model of `spec` with the given parameters.
    ///
    /// - Throws: ``NNError`` when the spec does not validate or the parameters are not the
    ///   spec's (names and shapes).
    public init(spec: ModelSpec, parameters: ParameterSet) throws {
        var model = try Model(spec: spec, seed: 0)
        try model.load(parameters)
        self = model
    }

    /// Replaces the parameters with `newParameters` (same names and shapes).
    ///
    /// - Throws: ``NNError`` naming the first mismatch.
    public mutating func load(_ newParameters: ParameterSet) throws {
        try parameters.checkCompatible(with: newParameters, operation: "load parameters into \(spec.name)")
        parameters = newParameters.detached()
    }

    /// Runs the network on a batch; uses `parameters` (for example gradient-tracking copies)
    /// instead of the model's own when given.
    ///
    /// - Throws: ``NNError`` or ``/TesseraTensor/TensorError`` when the input does not fit the model.
    public func forward(_ input: Tensor, parameters: ParameterSet? = nil, context: inout ForwardContext) throws -> Tensor {
        guard Array(input.shape.dropFirst()) == spec.inputShape else {
            throw NNError(.invalidArgument, "model '\(spec.name)' takes [N] + \(spec.inputShape) inputs, got \(input.shape)")
        }
        return try network.forward(input, parameters: LayerParameters(parameters ?? self.parameters), context: &context)
    }

    /// Evaluation-mode output (logits) for a batch, without recording gradients; with
    /// `batchStatistics`, batch normalization uses the batch's statistics, not the running ones.
    public func predict(_ input: Tensor, batchStatistics: Bool = false) throws -> Tensor {
        var context = ForwardContext(training: false)
        context.batchStatistics = batchStatistics
        return try GradMode.withoutGradients { try forward(input, context: &context) }
    }
}
