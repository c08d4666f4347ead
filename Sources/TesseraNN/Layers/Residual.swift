import TesseraTensor

/// A residual block (He et al. 2016): `branch(x) + shortcut(x)`, the shortcut the identity, or
/// a projection (a strided 1×1 convolution, say) where the branch changes the shape. Parameters
/// are named `<branch layer>.<parameter>` and `shortcut.<layer>.<parameter>`.
public struct Residual: Layer {
    /// The layers whose output is added to the input.
    public let branch: Sequential
    /// The layers that map the input to the branch's shape, or nil for the identity.
    public let shortcut: Sequential?

    /// A block adding `branch`'s output to its input, or to `shortcut`'s output when given.
    public init(branch: Sequential, shortcut: Sequential? = nil) {
        self.branch = branch
        self.shortcut = shortcut
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        let own = try branch.makeParameters(using: &generator)
        let projected = try shortcut?.makeParameters(using: &generator) ?? []
        return own + projected.map { (name: "shortcut.\($0.name)", tensor: $0.tensor) }
    }

    public func bufferNames() -> [String] {
        branch.bufferNames() + (shortcut?.bufferNames() ?? []).map { "shortcut.\($0)" }
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        let main = try branch.forward(input, parameters: parameters, context: &context)
        guard let shortcut else { return try main + input }
        let projected = try shortcut.forward(input, parameters: parameters.nested("shortcut"), context: &context)
        return try main + projected
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let main = try branch.outputShape(for: inputShape)
        let other = try shortcut?.outputShape(for: inputShape) ?? inputShape
        guard main == other else {
            throw NNError(.invalidSpec, shortcut == nil
                          ? "a residual block's layers turn \(inputShape) into \(main), which cannot be added to its input: give it a projection that makes \(main) (a conv with kernel 1 and the branch's stride and channels)"
                          : "a residual block's layers make \(main) and its projection \(other); they must agree to be added")
        }
        return main
    }
}
