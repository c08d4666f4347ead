// Aggregation's one pass over each client's model: adding it, weighted, into a running sum
// while measuring its distance from the model it trained from, so that each value is read
// once (and two at a time, so that the sum and the model are read once for both). The sum is bit for bit what `add(_:scaledBy:)` (or `scaled(by:)`, for the first) makes
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

    /// `self += firstScale · first`, then `self += secondScale · second`, returning each one's
    /// `Σ (other − base)²`: bit for bit what two ``add(_:scaledBy:measuringDistanceTo:)`` calls
    /// make, from one pass over `self` and `base` for both (each is brought from memory once
    /// rather than twice: a round's sum is this pass over its updates two at a time).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(_ first: Tensor, scaledBy firstScale: Float, _ second: Tensor, scaledBy secondScale: Float,
                             measuringDistancesTo base: Tensor) throws -> (Double, Double) {
        try Self.checkShapes(shape, first.shape, base.shape, "add two in place, measuring")
        try Self.checkShapes(shape, second.shape, base.shape, "add two in place, measuring")
        let count = Shape.count(shape)
        return first.withFloats { firstSource, _ in
            second.withFloats { secondSource, _ in
                base.withFloats { reference, _ in
                    storage.withUnsafeMutableBufferPointer { target in
                        guard let firstSource, let secondSource, let reference, let target = target.baseAddress else { return (0, 0) }
                        var both = ScaledPairAddition(target: target, firstScale: firstScale, secondScale: secondScale)
                        var firstSink = ScaledAddition(target: target, scale: firstScale)
                        var secondSink = ScaledAddition(target: target, scale: secondScale)
                        return SquaredSum.distances(firstSource, secondSource, from: reference, count: count,
                                                    passing: &both, then: &firstSink, &secondSink)
                    }
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
struct ScaledAddition: ValueSink {
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

/// Adds the first values it is handed times `firstScale`, then the second times `secondScale`,
/// into `target`: what two ``ScaledAddition``s one after the other make, reading and writing
/// `target` once.
struct ScaledPairAddition: PairSink {
    let target: UnsafeMutablePointer<Float>
    let firstScale: Float
    let secondScale: Float

    @inline(__always) mutating func take(_ first: SIMD8<Float>, _ second: SIMD8<Float>, at index: Int) {
        let sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
        let both = sum.addingProduct(SIMD8(repeating: firstScale), first).addingProduct(SIMD8(repeating: secondScale), second)
        UnsafeMutableRawPointer(target + index).storeBytes(of: both, as: SIMD8<Float>.self)
    }
}

/// Writes the values it is handed, times `scale`, to `target` (as `scaled(by:)` makes them).
struct Scaling: ValueSink {
    let target: UnsafeMutablePointer<Float>
    let scale: Float

    @inline(__always) mutating func take(_ values: SIMD8<Float>, at index: Int) {
        UnsafeMutableRawPointer(target + index).storeBytes(of: values * scale, as: SIMD8<Float>.self)
    }

    @inline(__always) mutating func take(_ value: Float, at index: Int) {
        target[index] = value * scale
    }
}
