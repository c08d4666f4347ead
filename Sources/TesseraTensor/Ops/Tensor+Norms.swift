// Sums of squares for norms: accumulated in Double, eight lanes at a time in a fixed order (so
// the result never depends on the thread count). A Float squared fits a Double with room to
// spare, so the sum is finite exactly when every element is: one pass both measures a tensor and
// checks it.

extension Tensor {
    /// `Σ x²` over the elements, in Double; not finite exactly when an element is not.
    public func squaredSum() -> Double {
        withFloats { SquaredSum.of($0, nil, count: $1) }
    }

    /// `Σ (x − y)²` over the elements of `self` and `other`, in Double; not finite exactly when
    /// an element of either is not.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func squaredDistance(to other: Tensor) throws -> Double {
        guard other.shape == shape else { throw TensorError.shapeMismatch("squared distance", shape, other.shape) }
        return withFloats { values, count in
            other.withFloats { others, _ in SquaredSum.of(values, others, count: count) }
        }
    }

    /// Calls `body` with the elements (row-major) and their count, reading a received
    /// message's floats in place rather than copying them. The pointer is valid only inside
    /// `body`.
    public func withFloats<Result>(_ body: (UnsafePointer<Float>?, Int) throws -> Result) rethrows -> Result {
        if let borrowed {
            return try borrowed.base.withMemoryRebound(to: Float.self, capacity: borrowed.count) { try body($0, borrowed.count) }
        }
        return try storage.withUnsafeBufferPointer { try body($0.baseAddress, $0.count) }
    }
}

/// The loop behind ``Tensor/squaredSum()`` and ``Tensor/squaredDistance(to:)``.
enum SquaredSum {
    /// `Σ (x[i] − y[i])²`, or `Σ x[i]²` when `y` is nil.
    static func of(_ x: UnsafePointer<Float>?, _ y: UnsafePointer<Float>?, count: Int) -> Double {
        guard let x, count > 0 else { return 0 }
        @inline(__always) func lanes(_ index: Int) -> SIMD8<Double> {
            let value = SIMD8<Double>(UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self))
            guard let y else { return value }
            return value - SIMD8<Double>(UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self))
        }
        var (first, second) = (SIMD8<Double>(), SIMD8<Double>())
        var index = 0
        while index + 16 <= count {
            let (a, b) = (lanes(index), lanes(index + 8))
            first.addProduct(a, a)
            second.addProduct(b, b)
            index += 16
        }
        var total = (first + second).sum()
        while index < count {
            let value = Double(x[index]) - (y.map { Double($0[index]) } ?? 0)
            total += value * value
            index += 1
        }
        return total
    }
}
