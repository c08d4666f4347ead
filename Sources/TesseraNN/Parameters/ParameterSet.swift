import TesseraTensor

/// The ordered, named parameters of a model ("conv1.weight", "conv1.bias", …): what a worker
/// trains, what travels between scheduler and workers, and what aggregation averages.
public struct ParameterSet: Sendable, Equatable {
    /// Parameter names in model order.
    public private(set) var names: [String]
    /// Parameter values, in the order of `names`.
    public internal(set) var tensors: [Tensor]
    private var positions: [String: Int]

    /// A set of the given name/tensor pairs, in order.
    ///
    /// - Throws: ``NNError`` when a name repeats.
    public init(_ entries: [(name: String, tensor: Tensor)]) throws {
        names = entries.map(\.name)
        tensors = entries.map(\.tensor)
        positions = [:]
        for (index, name) in names.enumerated() {
            guard positions.updateValue(index, forKey: name) == nil else {
                throw NNError(.parameterMismatch, "parameter name '\(name)' appears twice")
            }
        }
    }

    /// The empty set.
    public init() {
        names = []
        tensors = []
        positions = [:]
    }

    /// Number of tensors.
    public var count: Int { names.count }

    /// Total number of scalars across all tensors.
    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// Shapes in order.
    public var shapes: [[Int]] { tensors.map(\.shape) }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> Tensor? {
        positions[name].map { tensors[$0] }
    }

    /// Name/tensor pairs in order.
    public var entries: [(name: String, tensor: Tensor)] {
        Array(zip(names, tensors)).map { (name: $0.0, tensor: $0.1) }
    }

    /// Replaces the tensor at `index` (same shape).
    mutating func replace(at index: Int, with tensor: Tensor) {
        tensors[index] = tensor
    }

    /// Replaces the tensor named `name` with `tensor` of the same shape.
    ///
    /// - Throws: ``NNError`` (`.parameterMismatch`) when there is no such tensor or the shapes differ.
    public mutating func replace(_ name: String, with tensor: Tensor) throws {
        guard let index = positions[name] else { throw NNError(.parameterMismatch, "no parameter '\(name)' to replace") }
        guard tensors[index].shape == tensor.shape else {
            throw NNError(.parameterMismatch, "parameter '\(name)' has shape \(tensors[index].shape), not \(tensor.shape)")
        }
        tensors[index] = tensor
    }

    public static func == (lhs: ParameterSet, rhs: ParameterSet) -> Bool {
        lhs.names == rhs.names && lhs.tensors == rhs.tensors
    }
}

extension ParameterSet {
    /// The parameters whose names start with `prefix.`, with that prefix removed.
    public func subset(prefix: String) -> ParameterSet {
        var result = ParameterSet()
        for (name, tensor) in entries where name.hasPrefix(prefix + ".") {
            result.append(name: String(name.dropFirst(prefix.count + 1)), tensor: tensor)
        }
        return result
    }

    /// Appends a tensor under a new name.
    mutating func append(name: String, tensor: Tensor) {
        positions[name] = names.count
        names.append(name)
        tensors.append(tensor)
    }
}
