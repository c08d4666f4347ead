/// What went wrong building, running, training or saving a model. The description is a sentence
/// a user can act on; `kind` is stable for matching.
public struct NNError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of error.
    public enum Kind: String, Sendable {
        case unknownModel, invalidSpec, parameterMismatch, invalidCheckpoint, invalidOptimizerState, invalidArgument, writeFailed
    }

    /// The class of error.
    public let kind: Kind
    /// A sentence describing it, with the names and shapes involved.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
