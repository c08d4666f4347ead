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
        return measureChange(over: nil, passing: &nothing)
    }

    /// `self += scale · (base + change)`, returning `Σ change²` (``squaredChangeSum()``) from
    /// the same pass over `change`.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(change: Tensor, over base: Tensor, scaledBy scale: Float) throws -> Double {
        try Self.checkChangeShapes(shape, change.shape, base.shape, "add a change in place")
        return base.withFloats { reference, _ in
            storage.withUnsafeMutableBufferPointer { target in
                guard let reference, let target = target.baseAddress else { return 0 }
                var sink = ScaledAddition(target: target, scale: scale)
                return change.measureChange(over: reference, passing: &sink)
            }
        }
    }

    /// `self += firstScale · (base + first)`, then `self += secondScale · (base + second)`,
    /// returning each change's `Σ change²`: bit for bit what two
    /// ``add(change:over:scaledBy:)`` calls make, from one pass over `self` and `base` for both.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(change first: Tensor, scaledBy firstScale: Float, change second: Tensor, scaledBy secondScale: Float,
                             over base: Tensor) throws -> (Double, Double) {
        try Self.checkChangeShapes(shape, first.shape, base.shape, "add two changes in place")
        try Self.checkChangeShapes(shape, second.shape, base.shape, "add two changes in place")
        return base.withFloats { reference, count in
            storage.withUnsafeMutableBufferPointer { target in
                guard let reference, let target = target.baseAddress else { return (0, 0) }
                var both = ScaledPairAddition(target: target, firstScale: firstScale, secondScale: secondScale)
                var firstSink = ScaledAddition(target: target, scale: firstScale)
                var secondSink = ScaledAddition(target: target, scale: secondScale)
                if let one = first.narrowChange, let two = second.narrowChange {
                    return SquaredSum.changes(one, two, over: reference, count: count, passing: &both, then: &firstSink, &secondSink)
                }
                return first.withFloats { one, _ in
                    second.withFloats { two, _ in
                        guard let one, let two else { return (0, 0) }
                        return SquaredSum.changes(FloatChange(values: one), FloatChange(values: two), over: reference, count: count,
                                                  passing: &both, then: &firstSink, &secondSink)
                    }
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
        let values = base.withFloats { reference, count in
            [Float](unsafeUninitializedCapacity: count) { target, initialized in
                initialized = count
                guard let reference, let target = target.baseAddress else { return }
                var sink = Scaling(target: target, scale: scale)
                squared = measureChange(over: reference, passing: &sink)
            }
        }
        return (Tensor(shape: shape, storage: values), squared)
    }

    /// ``SquaredSum/change(_:over:count:passing:)`` of the elements: bfloat16 ones read in
    /// place, others as floats (``withFloats(_:)``).
    private func measureChange<Sink: ValueSink>(over base: UnsafePointer<Float>?, passing sink: inout Sink) -> Double {
        if let narrow = narrowChange {
            return SquaredSum.change(narrow, over: base, count: count, passing: &sink)
        }
        return withFloats { values, count in
            guard let values else { return 0 }
            return SquaredSum.change(FloatChange(values: values), over: base, count: count, passing: &sink)
        }
    }

    /// The bfloat16 values held in place, as a change source; nil for float32 ones.
    private var narrowChange: BFloat16Change? {
        guard let borrowed, borrowed.encoding == .bfloat16 else { return nil }
        return BFloat16Change(values: borrowed.base.assumingMemoryBound(to: UInt16.self))
    }

    /// Throws unless the three shapes are one.
    private static func checkChangeShapes(_ shape: [Int], _ change: [Int], _ base: [Int], _ operation: String) throws {
        guard change == shape else { throw TensorError.shapeMismatch(operation, shape, change) }
        guard base == shape else { throw TensorError.shapeMismatch(operation, shape, base) }
    }
}

extension SquaredSum {
    /// `Σ change²`, handing `base + change` to `sink` when `base` is given (eight at a time up
    /// to the last whole eight, then one by one): squares in Float summed in Double
    /// (``Lanes``), and, only when that sum is not finite, again exactly in Double.
    static func change<Values: ChangeSource, Sink: ValueSink>(_ values: Values, over base: UnsafePointer<Float>?, count: Int,
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
        return finishChange(values, lanes: &lanes, from: index, over: base, count: count, passing: &sink)
    }

    /// ``change(_:over:count:passing:)`` of `first` and of `second` over one `base`, from one
    /// pass: each element of `base` (and of what the sinks write to) is brought in once for
    /// both, and each sum and sink sees what the two passes one after the other would show it,
    /// so both norms, and what the sinks make, are the same bit for bit. `pair` takes the two
    /// models' values eight at a time; the last fewer than 32 go to `firstSink`, then to
    /// `secondSink`, as ``change(_:over:count:passing:)`` hands them.
    static func changes<Values: ChangeSource, Pair: PairSink, Sink: ValueSink>(
        _ first: Values, _ second: Values, over base: UnsafePointer<Float>, count: Int, passing pair: inout Pair,
        then firstSink: inout Sink, _ secondSink: inout Sink
    ) -> (Double, Double) {
        @inline(__always) func take(_ index: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            let (one, two) = (first.eight(at: index), second.eight(at: index))
            let reference = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            pair.take(reference + one, reference + two, at: index)
            return (one, two)
        }
        var (firstLanes, secondLanes) = (Lanes(), Lanes())
        var index = 0
        while index + 32 <= count {
            first.prefetch(at: index, count: count)
            second.prefetch(at: index, count: count)
            let (a, b, c, d) = (take(index), take(index + 8), take(index + 16), take(index + 24))
            firstLanes.add(a.0, b.0, c.0, d.0)
            secondLanes.add(a.1, b.1, c.1, d.1)
            index += 32
        }
        return (finishChange(first, lanes: &firstLanes, from: index, over: base, count: count, passing: &firstSink),
                finishChange(second, lanes: &secondLanes, from: index, over: base, count: count, passing: &secondSink))
    }

    /// The sum of `lanes` with the elements from `index` (fewer than 32 left) added: whole
    /// eights, then one by one, each handed to `sink` over `base` as they go; measured again
    /// exactly in Double when not finite.
    @inline(__always) private static func finishChange<Values: ChangeSource, Sink: ValueSink>(
        _ values: Values, lanes: inout Lanes, from start: Int, over base: UnsafePointer<Float>?, count: Int, passing sink: inout Sink
    ) -> Double {
        var total = lanes.sum()
        var index = start
        while index + 8 <= count {
            let change = values.eight(at: index)
            if let base { sink.take(UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self) + change, at: index) }
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

/// Where a change's values are read from, eight or one at a time, as Float.
protocol ChangeSource {
    /// Eight values from `index`.
    func eight(at index: Int) -> SIMD8<Float>
    /// The value at `index`.
    func one(at index: Int) -> Float
    /// Asks ahead for the values a pass from `index` reads next (see ``StreamPrefetch``).
    func prefetch(at index: Int, count: Int)
}

/// A change in float32.
private struct FloatChange: ChangeSource {
    let values: UnsafePointer<Float>

    @inline(__always) func eight(at index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) func one(at index: Int) -> Float { values[index] }

    @inline(__always) func prefetch(at index: Int, count: Int) {
        StreamPrefetch.ahead(of: values, at: index, count: count)
    }
}

/// A change in bfloat16, read in its two bytes a value.
private struct BFloat16Change: ChangeSource {
    let values: UnsafePointer<UInt16>

    @inline(__always) func eight(at index: Int) -> SIMD8<Float> {
        BFloat16.widen(eightAt: values + index)
    }

    @inline(__always) func one(at index: Int) -> Float { BFloat16.widen(values[index]) }

    /// Half the bytes of floats: one stride of floats' bytes covers two of these.
    @inline(__always) func prefetch(at index: Int, count: Int) {
        guard index % (2 * StreamPrefetch.stride) == 0 else { return }
        StreamPrefetch.ahead(of: UnsafeRawPointer(values).assumingMemoryBound(to: Float.self), at: index / 2, count: count / 2)
    }
}
