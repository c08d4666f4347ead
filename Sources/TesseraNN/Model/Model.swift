import Synchronization
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
        let layout = try Self.layout(of: spec)
        try ParameterSet.checkLayout(layout.names, layout.shapes, against: parameters.names, parameters.shapes,
                                     operation: "load parameters into \(spec.name)")
        self.spec = spec
        network = Sequential(spec.namedLayers())
        bufferNames = Set(spec.bufferNames)
        self.parameters = parameters.detached()
    }

    /// The names and shapes of `spec`'s parameters, worked out once per spec (by drawing a
    /// model's initial values, which costs as much as the model is large): a worker builds a
    /// model from received parameters for every task, the scheduler for every evaluation.
    private static func layout(of spec: ModelSpec) throws -> (names: [String], shapes: [[Int]]) {
        if let known = layouts.withLock({ $0[spec] }) { return known }
        let parameters = try Model(spec: spec, seed: 0).parameters
        let layout = (names: parameters.names, shapes: parameters.shapes)
        layouts.withLock { layouts in
            // A process uses a model or two; a long-lived one given many is not let grow without end.
            if layouts.count >= 16 { layouts.removeAll() }
            layouts[spec] = layout
        }
        return layout
    }

    private static let layouts = Mutex<[ModelSpec: (names: [String], shapes: [[Int]])]>([:])

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
