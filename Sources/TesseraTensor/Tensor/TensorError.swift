/// What went wrong in a tensor operation: a shape, axis or argument that does not fit.
///
/// The cases carry the facts (both shapes, the axis and rank) and `description` is a sentence a
/// user can act on. It is a struct around an internal enum so new cases do not break callers;
/// compare errors with `kind` or `==`.
public struct TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of error, stable for matching.
    public enum Kind: String, Sendable {
        case invalidShape, elementCount, shapeMismatch, invalidAxis, invalidArgument, arity, noGradient, tooLarge
    }

    /// The class of error.
    public let kind: Kind
    /// A sentence describing it, with the shapes and values involved.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func invalidShape(_ shape: [Int]) -> TensorError {
        TensorError(.invalidShape, "shape \(shape) has a negative dimension")
    }

    static func elementCount(shape: [Int], count: Int) -> TensorError {
        let holds = (try? Shape.checkedCount(shape)).map(String.init) ?? "more than \(Int.max)"
        return TensorError(.elementCount, "shape \(shape) holds \(holds) elements but \(count) were given")
    }

    static func tooLarge(_ shape: [Int]) -> TensorError {
        TensorError(.tooLarge, "shape \(shape) holds more elements than can be counted")
    }

    static func shapeMismatch(_ operation: String, _ lhs: [Int], _ rhs: [Int], _ detail: String = "") -> TensorError {
        let suffix = detail.isEmpty ? "" : ": \(detail)"
        return TensorError(.shapeMismatch, "\(operation) cannot combine shapes \(lhs) and \(rhs)\(suffix)")
    }

    static func invalidAxis(_ operation: String, axis: Int, rank: Int) -> TensorError {
        TensorError(.invalidAxis, "\(operation): axis \(axis) is out of range for a tensor of rank \(rank)")
    }

    static func invalidArgument(_ operation: String, _ detail: String) -> TensorError {
        TensorError(.invalidArgument, "\(operation): \(detail)")
    }
}
