import TesseraTensor

/// Updates parameters from their gradients, keeping whatever state it needs (momentum,
/// moments) in an ``OptimizerState`` that can be saved and restored.
public protocol Optimizer: Sendable {
    /// Applies one update to `parameters` given `gradients` (same names and shapes).
    ///
    /// - Throws: ``NNError`` when the sets do not match each other or the optimizer's state.
    mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet) throws

    /// The optimizer's state, for checkpoints.
    var state: OptimizerState { get }

    /// Resumes from a saved state.
    ///
    /// - Throws: ``NNError`` when the state is not this optimizer's.
    mutating func restore(_ state: OptimizerState) throws
}

/// An optimizer's state: how many steps it has taken and its per-parameter buffers by name
/// ("momentum", "firstMoment", …).
public struct OptimizerState: Sendable, Equatable {
    /// Which optimizer wrote it ("sgd", "adam").
    public var kind: String
    /// Steps taken.
    public var step: Int
    /// Buffers, each shaped like the parameters.
    public var buffers: [String: ParameterSet]

    /// A state of `kind` after `step` steps with `buffers`.
    public init(kind: String, step: Int, buffers: [String: ParameterSet]) {
        self.kind = kind
        self.step = step
        self.buffers = buffers
    }

    func checkKind(_ expected: String, bufferNames: [String]) throws {
        guard kind == expected, step >= 0 else {
            throw NNError(.invalidOptimizerState, "optimizer state is for '\(kind)', not '\(expected)'")
        }
        for name in buffers.keys where !bufferNames.contains(name) {
            throw NNError(.invalidOptimizerState, "\(expected) state has an unknown buffer '\(name)'")
        }
    }
}
