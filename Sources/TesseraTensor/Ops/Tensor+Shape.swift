// Reshape, permute/transpose, slicing along the first axis and concatenation.

extension Tensor {
    /// The same elements in a new shape; one dimension may be -1 and is then inferred.
    ///
    /// - Throws: ``TensorError`` when the element counts differ or the shape is malformed.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Self.checkReshape(newShape)
        let target = try Self.reshapeTarget(newShape, count: count, from: shape)
        let result = Tensor(shape: target, storage: storage)
        let inputShape = shape
        return Self.recorded(result, inputs: [self]) { gradient in [try gradient.reshaped(inputShape)] }
    }

    /// The tensor with its dimensions reordered: result dimension `i` is input dimension `axes[i]`.
    ///
    /// - Throws: ``TensorError`` when `axes` is not a permutation of the dimensions.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let normalized = try axes.map { try Shape.normalize(axis: $0, rank: rank, operation: "permute") }
        guard normalized.count == rank, Set(normalized).count == rank else {
            throw TensorError.invalidArgument("permute", "axes \(axes) are not a permutation of \(rank) dimensions")
        }
        let result = Tensor(shape: normalized.map { shape[$0] }, storage: Layout.permute(storage, shape: shape, axes: normalized))
        var inversion = [Int](repeating: 0, count: rank)
        for (position, axis) in normalized.enumerated() { inversion[axis] = position }
        let inverse = inversion
        return Self.recorded(result, inputs: [self]) { gradient in [try gradient.permuted(inverse)] }
    }

    /// The transpose of a matrix, or of the last two dimensions of a batch of matrices.
    ///
    /// - Throws: ``TensorError`` for a tensor of rank below 2.
    public func transposed() throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError.invalidArgument("transpose", "needs rank 2 or more, got shape \(shape)")
        }
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return try permuted(axes)
    }

    /// Rows `range` along the first axis.
    ///
    /// - Throws: ``TensorError`` for a scalar or a range outside the first dimension.
    public func slice(_ range: Range<Int>) throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidArgument("slice", "cannot slice a scalar") }
        guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TensorError.invalidArgument("slice", "range \(range) is outside 0..<\(shape[0]) of shape \(shape)")
        }
        let rowSize = count / Swift.max(shape[0], 1)
        var newShape = shape
        newShape[0] = range.count
        let result = Tensor(shape: newShape, storage: Array(storage[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
        let inputShape = shape
        return Self.recorded(result, inputs: [self]) { gradient in
            var full = [Float](repeating: 0, count: Shape.count(inputShape))
            full.replaceSubrange((range.lowerBound * rowSize)..<(range.upperBound * rowSize), with: gradient.storage)
            return [Tensor(shape: inputShape, storage: full)]
        }
    }

    /// The tensors joined along `axis`; all other dimensions must agree.
    ///
    /// - Throws: ``TensorError`` for an empty list, a bad axis or mismatched shapes.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument("concatenate", "needs at least one tensor")
        }
        let axis = try Shape.normalize(axis: axis, rank: first.rank, operation: "concatenate")
        for tensor in tensors.dropFirst() {
            var expected = first.shape
            expected[axis] = tensor.rank == first.rank ? tensor.shape[axis] : -1
            guard tensor.shape == expected else {
                throw TensorError.shapeMismatch("concatenate", first.shape, tensor.shape, "only axis \(axis) may differ")
            }
        }
        let outer = Shape.count(Array(first.shape[..<axis]))
        let inner = Shape.count(Array(first.shape[(axis + 1)...]))
        let lengths = tensors.map { $0.shape[axis] }
        var shape = first.shape
        shape[axis] = lengths.reduce(0, +)
        let total = Shape.count(shape)
        let sources = tensors.map(\.storage)  // once per tensor, not per slice
        // One pass of plain copies into the result: many inputs with small slices (a
        // 65,536-way concatenation of rows) made slice-and-append the cost.
        // Only the inputs that hold something take part, so the copies are at most the result's
        // elements (65,536 empty inputs would otherwise cost outer × 65,536 empty steps).
        let pieces = zip(sources, lengths).filter { $0.1 * inner > 0 }
        let storage = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            guard let destination = buffer.baseAddress, total > 0 else { return }
            var offset = 0
            for o in 0..<outer {
                for (source, length) in pieces {
                    let count = length * inner
                    source.withUnsafeBufferPointer { from in
                        if let base = from.baseAddress { (destination + offset).initialize(from: base + o * count, count: count) }
                    }
                    offset += count
                }
            }
            initialized = total
        }
        let result = Tensor(shape: shape, storage: storage)
        return recorded(result, inputs: tensors) { gradient in
            var pieces: [[Float]] = lengths.map { _ in [] }
            var offset = 0
            let source = gradient.storage
            let holding = lengths.indices.filter { lengths[$0] * inner > 0 }
            for _ in 0..<(holding.isEmpty ? 0 : outer) {
                for index in holding {
                    pieces[index].append(contentsOf: source[offset..<(offset + lengths[index] * inner)])
                    offset += lengths[index] * inner
                }
            }
            return zip(tensors, pieces).map { Tensor(shape: $0.shape, storage: $1) }
        }
    }
}

extension Tensor {
    /// Throws unless `newShape` holds at most one -1 and no other negative size.
    static func checkReshape(_ newShape: [Int]) throws {
        guard newShape.filter({ $0 == -1 }).count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument("reshape", "shape \(newShape) may hold one -1 and no other negative size")
        }
    }

    /// `newShape` with its -1 filled in for `count` elements of `shape`, checked to hold exactly
    /// those elements (with overflow-checked products: a shape from a message can claim anything).
    static func reshapeTarget(_ newShape: [Int], count: Int, from shape: [Int]) throws -> [Int] {
        var target = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = try Shape.checkedCount(newShape.filter { $0 != -1 })
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch("reshape", shape, newShape)
            }
            target[hole] = count / known
        }
        let holds = try Shape.checkedCount(target)
        guard holds == count else {
            throw TensorError.shapeMismatch("reshape", shape, newShape, "\(count) elements do not fill \(holds)")
        }
        return target
    }
}
