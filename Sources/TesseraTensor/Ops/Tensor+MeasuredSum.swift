// Adding a client's model into a running sum while measuring its distance from the model it
// trained from, each value read once: a round's sum one update at a time (a round's close
// sums them all in one pass instead, `Tensor.weightedSum(_:weights:isChange:measuringFrom:)`,
// with the sinks below). The sum is bit for bit what `add(_:scaledBy:)` makes and the distance
// what `squaredDistance(to:)` measures.

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
