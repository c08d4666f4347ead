// Measuring a client's change, when it sent its change from the model it trained from rather
// than its model: its norm, each value read once, a bfloat16 one in its two bytes. A round's
// close adds `base + change` into its sum in the same pass
// (`Tensor.weightedSum(_:weights:isChange:measuringFrom:)`), bit for bit what adding that model
// makes (each value added in Float), so the average does not depend on how the client sent it.

extension Tensor {
    /// `Σ x²` over the elements as a change is measured while it is added
    /// (``weightedSum(_:weights:isChange:measuringFrom:)``): squares in Float, summed in Double
    /// in a fixed order (within about a relative 2⁻²⁰ of the exact sum); not finite exactly
    /// when an element is not. A bfloat16 tensor is read in its two bytes a value.
    public func squaredChangeSum() -> Double {
        var nothing = SquaredSum.Unused()
        if let narrow = narrowChange {
            return SquaredSum.change(narrow, over: nil, count: count, passing: &nothing)
        }
        return withFloats { values, count in
            guard let values else { return 0 }
            return SquaredSum.change(FloatChange(values: values), over: nil, count: count, passing: &nothing)
        }
    }

    /// The bfloat16 values held in place, as a change source; nil for float32 ones.
    var narrowChange: BFloat16Change? {
        guard let borrowed, borrowed.encoding == .bfloat16 else { return nil }
        return BFloat16Change(values: borrowed.base.assumingMemoryBound(to: UInt16.self))
    }
}

extension SquaredSum {
    /// `Σ change²`, handing `base + change` to `sink` when `base` is given (eight at a time up
    /// to the last whole eight, then one by one): squares in Float summed in Double
    /// (``Lanes``), and, only when that sum is not finite, again exactly in Double.
    /// Summed by ``chunk``s, in order, as a distance is.
    static func change<Values: ChangeSource, Sink: ValueSink>(_ values: Values, over base: UnsafePointer<Float>?, count: Int,
                                                              passing sink: inout Sink) -> Double {
        summedByChunks(count) { change(values, over: base, in: $0, count: count, passing: &sink) }
    }

    /// One chunk's part of ``change(_:over:count:passing:)``: the elements in `range` of the
    /// `count` there are (read ahead up to `count`).
    static func change<Values: ChangeSource, Sink: ValueSink>(_ values: Values, over base: UnsafePointer<Float>?, in range: Range<Int>,
                                                              count: Int, passing sink: inout Sink) -> Double {
        @inline(__always) func take(_ index: Int) -> SIMD8<Float> {
            let change = values.eight(at: index)
            if let base { sink.take(UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self) + change, at: index) }
            return change
        }
        var lanes = Lanes()
        var index = range.lowerBound
        while index + 32 <= range.upperBound {
            values.prefetch(at: index, count: count)
            let (a, b, c, d) = (take(index), take(index + 8), take(index + 16), take(index + 24))
            lanes.add(a, b, c, d)
            index += 32
        }
        return finishChange(values, lanes: &lanes, from: index, over: base, in: range, passing: &sink)
    }

    /// One chunk's part (``change(_:over:in:count:passing:)``) of the norm of `first` and of
    /// `second` over one `base`, from one pass: each element of `base` (and of what the sinks
    /// write to) is brought in once for both, and each sum and sink sees what the two passes
    /// one after the other would show it, so both norms, and what the sinks make, are the same
    /// bit for bit. `pair` takes the two models' values eight at a time; the last fewer than
    /// 32 go to `firstSink`, then to `secondSink`, as ``change(_:over:in:count:passing:)``
    /// hands them.
    static func changes<Values: ChangeSource, Pair: PairSink, Sink: ValueSink>(
        _ first: Values, _ second: Values, over base: UnsafePointer<Float>, in range: Range<Int>, count: Int,
        passing pair: inout Pair, then firstSink: inout Sink, _ secondSink: inout Sink
    ) -> (Double, Double) {
        @inline(__always) func take(_ index: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            let (one, two) = (first.eight(at: index), second.eight(at: index))
            let reference = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            pair.take(reference + one, reference + two, at: index)
            return (one, two)
        }
        var (firstLanes, secondLanes) = (Lanes(), Lanes())
        var index = range.lowerBound
        while index + 32 <= range.upperBound {
            first.prefetch(at: index, count: count)
            second.prefetch(at: index, count: count)
            let (a, b, c, d) = (take(index), take(index + 8), take(index + 16), take(index + 24))
            firstLanes.add(a.0, b.0, c.0, d.0)
            secondLanes.add(a.1, b.1, c.1, d.1)
            index += 32
        }
        return (finishChange(first, lanes: &firstLanes, from: index, over: base, in: range, passing: &firstSink),
                finishChange(second, lanes: &secondLanes, from: index, over: base, in: range, passing: &secondSink))
    }

    /// The sum of `lanes` with the elements of `range` from `start` (fewer than 32 left)
    /// added: whole eights, then one by one, each handed to `sink` over `base` as they go;
    /// the range measured again exactly in Double when not finite.
    @inline(__always) private static func finishChange<Values: ChangeSource, Sink: ValueSink>(
        _ values: Values, lanes: inout Lanes, from start: Int, over base: UnsafePointer<Float>?, in range: Range<Int>,
        passing sink: inout Sink
    ) -> Double {
        let count = range.upperBound
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
        for index in range {
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
struct FloatChange: ChangeSource {
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
struct BFloat16Change: ChangeSource {
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
