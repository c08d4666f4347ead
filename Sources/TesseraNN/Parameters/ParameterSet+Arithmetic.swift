import TesseraTensor

// The arithmetic aggregation and optimizers need, over whole parameter sets. Each operation
// checks that names and shapes agree and throws ``NNError`` otherwise.

extension ParameterSet {
    /// Throws unless `other` has the same names and shapes in the same order.
    public func checkCompatible(with other: ParameterSet, operation: String) throws {
        // Compared in place first: aggregation checks every update, and most match.
        guard names == other.names, zip(tensors, other.tensors).allSatisfy({ $0.shape == $1.shape }) else {
            return try Self.checkLayout(names, shapes, against: other.names, other.shapes, operation: operation)
        }
    }

    /// Throws unless `otherNames` and `otherShapes` are `names` and `shapes`, in the same order.
    static func checkLayout(_ names: [String], _ shapes: [[Int]], against otherNames: [String], _ otherShapes: [[Int]],
                            operation: String) throws {
        guard names == otherNames, shapes == otherShapes else {
            let mismatch = zip(zip(names, shapes), zip(otherNames, otherShapes)).first { $0.0 != $1.0 || $0.1 != $1.1 }
            let detail = mismatch.map { "'\($0.0)' \($0.1) vs '\($1.0)' \($1.1)" } ?? "\(names.count) vs \(otherNames.count) tensors"
            throw NNError(.parameterMismatch, "\(operation): parameter sets differ (\(detail))")
        }
    }

    /// `self += scale * other`, tensor by tensor, in place.
    public mutating func add(_ other: ParameterSet, scaledBy scale: Float) throws {
        try checkCompatible(with: other, operation: "add")
        for index in tensors.indices { try tensors[index].add(other.tensors[index], scaledBy: scale) }
    }

    /// Every tensor multiplied by `factor`.
    public func scaled(by factor: Float) -> ParameterSet {
        var copy = self
        for index in copy.tensors.indices { copy.tensors[index].scale(by: factor) }
        return copy
    }

    /// `self - other`, tensor by tensor (a model delta).
    public func subtracting(_ other: ParameterSet) throws -> ParameterSet {
        var result = self
        try result.add(other, scaledBy: -1)
        return result
    }

    /// `Σ weights[i] · sets[i]`, summed in the order given (callers fix the order, e.g. by
    /// worker id, for reproducible aggregation).
    ///
    /// - Throws: ``NNError`` for an empty list, a weight count that differs, or mismatched sets.
    public static func weightedSum(_ sets: [ParameterSet], weights: [Float]) throws -> ParameterSet {
        let first = try firstOfWeighted(sets, weights)
        var result = first.scaled(by: weights[0])
        for (set, weight) in zip(sets.dropFirst(), weights.dropFirst()) {
            try result.add(set, scaledBy: weight)
        }
        return result
    }

    /// ``weightedSum(_:weights:)`` and each set's ``distance(to:)`` from `base`, the same values
    /// bit for bit, from one pass over each set (aggregation measuring the clients' changes),
    /// tensor by tensor (``/TesseraTensor/Tensor/weightedSum(_:weights:isChange:measuringFrom:)``:
    /// split over the kernel pool, alike sets two at a time). A set whose position `isChange`
    /// marks (empty: none) is a change from `base`: the model `base + set` is what is summed (bit
    /// for bit as if it had been added up first) and the set's own norm
    /// (``squaredChangeNorm``) is its distance; it is read in place, a bfloat16 one in its two
    /// bytes a value.
    ///
    /// - Throws: ``NNError`` for an empty list, a weight count or `isChange` count that differs,
    ///   or sets that do not match `base`.
    public static func weightedSum(_ sets: [ParameterSet], weights: [Float], measuringDistancesTo base: ParameterSet,
                                   isChange: [Bool] = []) throws -> (sum: ParameterSet, distances: [Double]) {
        var result = try firstOfWeighted(sets, weights)
        for set in sets { try base.checkCompatible(with: set, operation: "weighted sum") }
        guard isChange.isEmpty || isChange.count == sets.count else {
            throw NNError(.invalidArgument, "weightedSum marks \(isChange.count) sets as changes or not, for \(sets.count) sets")
        }
        let isChange = isChange.isEmpty ? [Bool](repeating: false, count: sets.count) : isChange
        var squared = [Double](repeating: 0, count: sets.count)
        for index in base.tensors.indices {
            let (sum, squares) = try Tensor.weightedSum(sets.map { $0.tensors[index] }, weights: weights, isChange: isChange,
                                                        measuringFrom: base.tensors[index])
            result.tensors[index] = sum
            for position in squared.indices { squared[position] += squares[position] }
        }
        return (result, squared.map { $0.squareRoot() })
    }

    /// Whether `other` is this set, unchanged since one was copied from the other: the same
    /// names, each tensor reading the very same values (O(1) a tensor, no value compared).
    package func sharesValues(with other: ParameterSet) -> Bool {
        names == other.names && zip(tensors, other.tensors).allSatisfy { $0.sharesValues(with: $1) }
    }

    /// `Σ x²` over every value, as a change is measured while aggregation adds it
    /// (``/TesseraTensor/Tensor/squaredChangeSum()``): the squared norm of a client's change.
    public var squaredChangeNorm: Double {
        tensors.reduce(0) { $0 + $1.squaredChangeSum() }
    }

    /// The first of `sets`, to be summed with `weights`.
    ///
    /// - Throws: ``NNError`` for no sets, or a weight count that differs.
    private static func firstOfWeighted(_ sets: [ParameterSet], _ weights: [Float]) throws -> ParameterSet {
        guard let first = sets.first, sets.count == weights.count else {
            throw NNError(.invalidArgument, "weightedSum needs one weight per set and at least one set (got \(sets.count) sets, \(weights.count) weights)")
        }
        return first
    }

    /// The Euclidean norm over all scalars, accumulated in Double; not finite exactly when a
    /// scalar is not.
    public func l2Norm() -> Double {
        tensors.reduce(0) { $0 + $1.squaredSum() }.squareRoot()
    }

    /// The Euclidean distance between `self` and `other` (the norm of `self - other`, without
    /// making it), accumulated in Double; not finite exactly when a scalar of either is not.
    ///
    /// - Throws: ``NNError`` when the names or shapes differ.
    public func distance(to other: ParameterSet) throws -> Double {
        try checkCompatible(with: other, operation: "distance")
        return try zip(tensors, other.tensors).reduce(0) { $0 + (try $1.0.squaredDistance(to: $1.1)) }.squareRoot()
    }

    /// All scalars, tensor after tensor, as one vector.
    public func flattened() -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(scalarCount)
        for tensor in tensors { values.append(contentsOf: tensor.scalars) }
        return values
    }

    /// A set with these names and shapes holding `values` (the inverse of `flattened()`).
    ///
    /// - Throws: ``NNError`` when `values` has the wrong length.
    public func unflattened(_ values: [Float]) throws -> ParameterSet {
        guard values.count == scalarCount else {
            throw NNError(.parameterMismatch, "unflatten: \(values.count) values for \(scalarCount) parameters")
        }
        var result = self
        var offset = 0
        for index in tensors.indices {
            let shape = tensors[index].shape
            let size = tensors[index].count
            result.tensors[index] = try Tensor(Array(values[offset..<(offset + size)]), shape: shape)
            offset += size
        }
        return result
    }

    /// The same values as gradient-tracking leaves (for a training step).
    public func requiringGrad() -> ParameterSet {
        var copy = self
        for index in copy.tensors.indices { copy.tensors[index] = copy.tensors[index].detached().requiringGrad() }
        return copy
    }

    /// The gradients accumulated on these leaves (zeros where none arrived).
    ///
    /// - Throws: ``NNError`` if a tensor is not a gradient-tracking leaf.
    public func gradients() throws -> ParameterSet {
        var result = self
        for (index, tensor) in tensors.enumerated() {
            guard tensor.requiresGrad else {
                throw NNError(.invalidArgument, "parameter '\(names[index])' does not require grad")
            }
            result.tensors[index] = try tensor.grad ?? Tensor.zeros(tensor.shape)
        }
        return result
    }

    /// The same values, cut off from any autograd graph.
    public func detached() -> ParameterSet {
        var copy = self
        for index in copy.tensors.indices { copy.tensors[index] = copy.tensors[index].detached() }
        return copy
    }
}
