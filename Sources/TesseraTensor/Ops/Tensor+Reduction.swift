// Reductions over axes: sum, mean, max (with gradient) and argmax.

extension Tensor {
    /// Sum over `axes` (nil: all axes), keeping them as size-1 dimensions when `keepingDimensions`.
    ///
    /// - Throws: ``TensorError`` for an axis out of range or named twice.
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        let axes = try Shape.normalize(axes: axes, rank: rank, operation: "sum")
        var storage = self.storage
        var keptShape = shape
        for axis in axes { keptShape[axis] = 1 }
        if count == 0 {
            // Sums over nothing: zeros, made at the result's size. Reducing axis by axis could
            // first make an intermediate far larger than the result ([2^20, 0, 2^20] over axes
            // 0 and 1 would make 2^40 zeros on the way to 2^20: found by the op fuzzer).
            storage = [Float](repeating: 0, count: Shape.count(keptShape))
        } else {
            // Each step reduces an axis of length at least 1: no intermediate outgrows the input.
            var current = shape
            for axis in axes.reversed() {
                let (outer, length, inner) = Shape.split(current, at: axis)
                storage = Reduction.sum(storage, outer: outer, length: length, inner: inner)
                current[axis] = 1
            }
        }
        let result = Tensor(shape: keepingDimensions ? keptShape : Self.removing(axes, from: shape), storage: storage)
        let (inputShape, gradientShape) = (shape, keptShape)
        return Self.recorded(result, inputs: [self]) { gradient in
            [try gradient.reshaped(gradientShape).broadcast(to: inputShape)]
        }
    }

    /// Mean over `axes` (nil: all axes). The mean over zero elements is NaN.
    ///
    /// - Throws: ``TensorError`` for an axis out of range or named twice.
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        let normalized = try Shape.normalize(axes: axes, rank: rank, operation: "mean")
        let reduced = normalized.reduce(1) { $0 * shape[$1] }
        return try sum(alongAxes: normalized, keepingDimensions: keepingDimensions) / Float(reduced)
    }

    /// Maximum over `axes` (nil: all axes). The gradient is shared equally among tied maxima.
    ///
    /// - Throws: ``TensorError`` for a bad axis or when a reduced axis is empty.
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        let axes = try Shape.normalize(axes: axes, rank: rank, operation: "max")
        var storage = self.storage
        var keptShape = shape
        for axis in axes.reversed() {
            guard keptShape[axis] > 0 else {
                throw TensorError.invalidArgument("max", "axis \(axis) of shape \(shape) is empty")
            }
            let (outer, length, inner) = Shape.split(keptShape, at: axis)
            storage = Reduction.max(storage, outer: outer, length: length, inner: inner).values
            keptShape[axis] = 1
        }
        let result = Tensor(shape: keepingDimensions ? keptShape : Self.removing(axes, from: shape), storage: storage)
        let input = detached()
        let kept = Tensor(shape: keptShape, storage: storage)
        let gradientShape = keptShape
        return Self.recorded(result, inputs: [self]) { gradient in
            let mask = Tensor(shape: input.shape, storage: Elementwise.broadcast(input, kept, to: input.shape, Equal.self))
            let ties = try mask.sum(alongAxes: axes, keepingDimensions: true)
            let share = try gradient.reshaped(gradientShape).dividing(ties)
            return [try mask.multiplying(share)]
        }
    }

    /// Index of the first maximum along `axis`, as a float tensor of integer values.
    /// Not differentiable.
    ///
    /// - Throws: ``TensorError`` for a bad axis or when the axis is empty.
    public func argmax(alongAxis axis: Int, keepingDimensions: Bool = false) throws -> Tensor {
        let axis = try Shape.normalize(axis: axis, rank: rank, operation: "argmax")
        guard shape[axis] > 0 else {
            throw TensorError.invalidArgument("argmax", "axis \(axis) of shape \(shape) is empty")
        }
        let (outer, length, inner) = Shape.split(shape, at: axis)
        let indices = Reduction.max(storage, outer: outer, length: length, inner: inner).indices
        var keptShape = shape
        keptShape[axis] = 1
        return Tensor(shape: keepingDimensions ? keptShape : Self.removing([axis], from: shape),
                      storage: indices.map(Float.init))
    }

    /// This tensor repeated along size-1 (or missing leading) dimensions to `target`.
    func broadcast(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let broadcastShape = try Shape.broadcast(shape, target, operation: "broadcast")
        guard broadcastShape == target else {
            throw TensorError.shapeMismatch("broadcast", shape, target)
        }
        return try Tensor.zeros(target).adding(self)
    }

    static func removing(_ axes: [Int], from shape: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }
}
