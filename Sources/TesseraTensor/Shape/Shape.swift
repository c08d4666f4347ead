/// Shape arithmetic shared by the ops: element counts, strides, axes and broadcasting.
enum Shape {
    /// Number of elements of `shape` (1 for a scalar).
    static func count(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Throws when a dimension is negative or the element count overflows.
    static func validate(_ shape: [Int]) throws {
        if shape.contains(where: { $0 < 0 }) { throw TensorError.invalidShape(shape) }
        _ = try checkedCount(shape)
    }

    /// Number of elements of `shape`, or an error when the product of its nonzero dimensions
    /// overflows `Int` (a shape from a message can claim anything). Nonzero dimensions, not
    /// all: an empty tensor of shape [0, 2^40, 2^40] holds nothing, but the count of its last
    /// two dimensions, which kernels take, would overflow; so such a shape is refused too, and
    /// every product of any of a valid shape's dimensions fits.
    ///
    /// An empty shape's other dimensions are also bounded (by ``emptyShapeLimit``): kernels
    /// loop over the dimensions around the one they work along, so softmax along the empty
    /// axis of [2^20, 0, 2^20] would step 2^40 times through nothing (found by the op fuzzer).
    static func checkedCount(_ shape: [Int]) throws -> Int {
        var nonzero = 1
        for dimension in shape where dimension != 0 {
            let (product, overflow) = nonzero.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw TensorError.tooLarge(shape) }
            nonzero = product
        }
        guard shape.contains(0) else { return nonzero }
        guard nonzero <= emptyShapeLimit else { throw TensorError.tooLarge(shape) }
        return 0
    }

    /// The largest product of an empty shape's nonzero dimensions (2^28, the wire's largest tensor).
    static let emptyShapeLimit = 1 << 28

    /// Row-major strides of `shape`, in elements.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// `axis` made non-negative (Python-style negative axes count from the end).
    static func normalize(axis: Int, rank: Int, operation: String) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0 && normalized < rank else {
            throw TensorError.invalidAxis(operation, axis: axis, rank: rank)
        }
        return normalized
    }

    /// Normalized, sorted, distinct axes; `nil` means every axis.
    static func normalize(axes: [Int]?, rank: Int, operation: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let normalized = try axes.map { try normalize(axis: $0, rank: rank, operation: operation) }
        let unique = Array(Set(normalized)).sorted()
        guard unique.count == normalized.count else {
            throw TensorError.invalidArgument(operation, "axes \(axes) name an axis twice")
        }
        return unique
    }

    /// The NumPy broadcast of two shapes.
    static func broadcast(_ lhs: [Int], _ rhs: [Int], operation: String) throws -> [Int] {
        let rank = max(lhs.count, rhs.count)
        var result = [Int](repeating: 1, count: rank)
        for index in 0..<rank {
            let l = index < rank - lhs.count ? 1 : lhs[index - (rank - lhs.count)]
            let r = index < rank - rhs.count ? 1 : rhs[index - (rank - rhs.count)]
            if l == r || r == 1 {
                result[index] = l
            } else if l == 1 {
                result[index] = r
            } else {
                throw TensorError.shapeMismatch(operation, lhs, rhs, "dimensions \(l) and \(r) do not broadcast")
            }
        }
        return result
    }

    /// Strides for reading a tensor of `shape` as if it had the (broadcast) shape `target`:
    /// zero along dimensions that are broadcast.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        return target.indices.map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
        }
    }

    /// The dimensions before, along and after `axis`, for kernels that reduce or normalize it.
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (count(Array(shape[..<axis])), shape[axis], count(Array(shape[(axis + 1)...])))
    }
}
