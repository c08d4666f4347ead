// Aggregation's one pass over a client's change, when it sent its change from the model it
// trained from rather than its model: adding base + change, weighted, into a running sum while
// measuring the change's norm, each value read once, a bfloat16 one in its two bytes. The sum is
// bit for bit what `add(_:scaledBy:)` (or `scaled(by:)`, for the first) makes of the model
// `base + change` (each value added in Float), so the average does not depend on how the
// client sent its model. The norm is ``Tensor/squaredChangeSum()``'s.

extension Tensor {
    /// `Σ x²` over the elements as a change is measured while it is added
    /// (``add(change:over:scaledBy:)``): squares in Float, summed in Double in a fixed order
    /// (within about a relative 2⁻²⁰ of the exact sum); not finite exactly when an element is
    /// not. A bfloat16 tensor is read in its two bytes a value.
    public func squaredChangeSum() -> Double {
        var nothing = SquaredSum.Unused()
        return withChangeValues { values, count in SquaredSum.change(values, over: nil, count: count, passing: &nothing) }
    }

    /// `self += scale · (base + change)`, returning `Σ change²` (``squaredChangeSum()``) from
    /// the same pass over `change`.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(change: Tensor, over base: Tensor, scaledBy scale: Float) throws -> Double {
        try Self.checkChangeShapes(shape, change.shape, base.shape, "add a change in place")
        return change.withChangeValues { values, count in
            base.withFloats { reference, _ in
                storage.withUnsafeMutableBufferPointer { target in
                    guard let reference, let target = target.baseAddress else { return 0 }
                    var sink = ScaledAddition(target: target, scale: scale)
                    return SquaredSum.change(values, over: reference, count: count, passing: &sink)
                }
            }
        }
    }

    /// `scale · (base + self)`, with `Σ self²` (``squaredChangeSum()``) from the same pass.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func scaledModel(over base: Tensor, by scale: Float) throws -> (scaled: Tensor, squaredChange: Double) {
        try Self.checkChangeShapes(shape, shape, base.shape, "scale a change's model")
        var squared = 0.0
        let values = withChangeValues { change, count in
            base.withFloats { reference, _ in
                [Float](unsafeUninitializedCapacity: count) { target, initialized in
                    initialized = count
                    guard let reference, let target = target.baseAddress else { return }
                    var sink = Scaling(target: target, scale: scale)
                    squared = SquaredSum.change(change, over: reference, count: count, passing: &sink)
                }
            }
        }
        return (Tensor(shape: shape, storage: values), squared)
    }

    /// Calls `body` with the elements as a change source: bfloat16 ones in place, others as
    /// floats (``withFloats(_:)``).
    private func withChangeValues<Result>(_ body: (SquaredSum.ChangeValues, Int) -> Result) -> Result {
        if let borrowed, borrowed.encoding == .bfloat16 {
            return body(.bfloat16(borrowed.base.assumingMemoryBound(to: UInt16.self)), borrowed.count)
        }
        return withFloats { values, count in
            guard let values else { return body(.none, 0) }
            return body(.float32(values), count)
        }
    }

    /// Throws unless the three shapes are one.
    private static func checkChangeShapes(_ shape: [Int], _ change: [Int], _ base: [Int], _ operation: String) throws {
        guard change == shape else { throw TensorError.shapeMismatch(operation, shape, change) }
        guard base == shape else { throw TensorError.shapeMismatch(operation, shape, base) }
    }
}

extension SquaredSum {
    /// Where a change's values are read from.
    enum ChangeValues {
        case float32(UnsafePointer<Float>)
        case bfloat16(UnsafePointer<UInt16>)
        case none

        /// Eight values from `index`, as Float.
        @inline(__always) func eight(at index: Int) -> SIMD8<Float> {
            switch self {
            case let .float32(values): UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
            case let .bfloat16(values):
                unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<UInt16>.self)) &<< 16,
                              to: SIMD8<Float>.self)
            case .none: SIMD8()
            }
        }

        /// The value at `index`, as Float.
        @inline(__always) func one(at index: Int) -> Float {
            switch self {
            case let .float32(values): values[index]
            case let .bfloat16(values): BFloat16.widen(values[index])
            case .none: 0
            }
        }

        /// Asks ahead for the values a pass from `index` reads next (see ``StreamPrefetch``).
        @inline(__always) func prefetch(at index: Int, count: Int) {
            switch self {
            case let .float32(values): StreamPrefetch.ahead(of: values, at: index, count: count)
            // Half the bytes: one stride of floats' bytes covers two of these.
            case let .bfloat16(values):
                if index % (2 * StreamPrefetch.stride) == 0 {
                    StreamPrefetch.ahead(of: UnsafeRawPointer(values).assumingMemoryBound(to: Float.self), at: index / 2, count: count / 2)
                }
            case .none: return
            }
        }
    }

    /// `Σ change²`, handing `base + change` to `sink` when `base` is given (eight at a time up
    /// to the last whole eight, then one by one): squares in Float summed in Double
    /// (``Lanes``), and, only when that sum is not finite, again exactly in Double.
    static func change<Sink: ValueSink>(_ values: ChangeValues, over base: UnsafePointer<Float>?, count: Int,
                                        passing sink: inout Sink) -> Double {
        @inline(__always) func take(_ index: Int) -> SIMD8<Float> {
            let change = values.eight(at: index)
            if let base { sink.take(UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self) + change, at: index) }
            return change
        }
        var lanes = Lanes()
        var index = 0
        while index + 32 <= count {
            values.prefetch(at: index, count: count)
            let (a, b, c, d) = (take(index), take(index + 8), take(index + 16), take(index + 24))
            lanes.add(a, b, c, d)
            index += 32
        }
        var total = lanes.sum()
        while index + 8 <= count {
            let change = take(index)
            total += Double((change * change).sum())
            index += 8
        }
        while index < count {
            let change = values.one(at: index)
            if let base { sink.take(base[index] + change, at: index) }
            total += Double(change * change)
            index += 1
        }
        guard !total.isFinite else { return total }
        var exact = 0.0
        for index in 0..<count {
            let change = Double(values.one(at: index))
            exact += change * change
        }
        return exact
    }
}
