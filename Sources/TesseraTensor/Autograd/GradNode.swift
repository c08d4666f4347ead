import Synchronization

/// One vertex of the autograd graph: either a leaf (a tensor with `requiresGrad`, which keeps
/// the gradient that `backward()` accumulates) or the record of an op, holding the nodes of its
/// inputs and the op's local backward rule.
final class GradNode: Sendable {
    /// Nodes of the op's inputs, in input order; nil for inputs that need no gradient.
    let inputs: [GradNode?]
    /// Maps the gradient of the op's output to gradients of its inputs (nil where not needed).
    let backward: (@Sendable (Tensor) throws -> [Tensor?])?
    /// The gradient accumulated on a leaf by `backward()`.
    let gradient = Mutex<Tensor?>(nil)

    /// A leaf.
    init() {
        inputs = []
        backward = nil
    }

    /// An op record.
    init(inputs: [GradNode?], backward: @escaping @Sendable (Tensor) throws -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
    }

    var isLeaf: Bool { backward == nil }
}
