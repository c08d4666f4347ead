// Aggregation's one pass over each client's model: adding it, weighted, into a running sum
// while measuring its distance from the model it trained from, so that each value is read
// once. The sum is bit for bit what `add(_:scaledBy:)` (or `scaled(by:)`, for the first) makes
// and the distance what `squaredDistance(to:)` measures. One thread: the pass runs at memory
// speed, and the distance's order of summation must not depend on the thread count.

extension Tensor {
    /// `self += scale · other`, returning `Σ (other − base)²` from the same pass over `other`.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(_ other: Tensor, scaledBy scale: Float, measuringDistanceTo base: Tensor) throws -> Double {
        try Self.checkShapes(shape, other.shape, base.shape, "add in place, measuring")
        let count = Shape.count(shape)
        return other.withFloats { source, _ in
            base.withFloats { reference, _ in
                storage.withUnsafeMutableBufferPointer { target in
                    guard let source, let reference, let target = target.baseAddress else { return 0 }
                    var sink = ScaledAddition(target: target, scale: scale)
                    return SquaredSum.distance(source, reference, count: count, passing: &sink)
                }
            }
        }
    }

    /// `scale · self`, with `Σ (self − base)²` from the same pass.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func scaled(by scale: Float, measuringDistanceTo base: Tensor) throws -> (scaled: Tensor, squaredDistance: Double) {
        try Self.checkShapes(shape, shape, base.shape, "scale, measuring")
        let count = Shape.count(shape)
        var squaredDistance = 0.0
        let values = withFloats { source, _ in
            base.withFloats { reference, _ in
                [Float](unsafeUninitializedCapacity: count) { target, initialized in
                    initialized = count
                    guard let source, let reference, let target = target.baseAddress else { return }
                    var sink = Scaling(target: target, scale: scale)
                    squaredDistance = SquaredSum.distance(source, reference, count: count, passing: &sink)
                }
            }
        }
        return (Tensor(shape: shape, storage: values), squaredDistance)
    }

    /// Throws unless the three shapes are one.
    private static func checkShapes(_ shape: [Int], _ other: [Int], _ base: [Int], _ operation: String) throws {
        guard other == shape else { throw TensorError.shapeMismatch(operation, shape, other) }
        guard base == shape else { throw TensorError.shapeMismatch(operation, shape, base) }
    }
}

/// Adds the values it is handed, times `scale`, into `target` (as `add(_:scaledBy:)` does).
private struct ScaledAddition: ValueSink {
    let target: UnsafeMutablePointer<Float>
    let scale: Float

    @inline(__always) mutating func take(_ values: SIMD8<Float>, at index: Int) {
        let sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(target + index).storeBytes(of: sum.addingProduct(SIMD8(repeating: scale), values),
                                                           as: SIMD8<Float>.self)
    }

    @inline(__always) mutating func take(_ value: Float, at index: Int) {
        target[index] += scale * value
    }
}

/// Writes the values it is handed, times `scale`, to `target` (as `scaled(by:)` makes them).
private struct Scaling: ValueSink {
    let target: UnsafeMutablePointer<Float>
    let scale: Float

    @inline(__always) mutating func take(_ values: SIMD8<Float>, at index: Int) {
        UnsafeMutableRawPointer(target + index).storeBytes(of: values * scale, as: SIMD8<Float>.self)
    }

    @inline(__always) mutating func take(_ value: Float, at index: Int) {
        target[index] = value * scale
    }
}
