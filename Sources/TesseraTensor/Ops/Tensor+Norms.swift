// Sums of squares for norms: accumulated in Double, in lanes summed in a fixed order (so the
// result never depends on the thread count). A Float squared fits a Double with room to spare,
// so the sum is finite exactly when every element is: one pass both measures a tensor and checks
// it. A distance takes each difference in Float and squares it in Float (the difference's
// relative error is at most 2⁻²⁴; see `SquaredSum.Lanes`) and, only when that sum is not finite,
// again exactly in Double: a difference of two finite Floats, or its square, can overflow a
// Float, never a Double.

extension Tensor {
    /// `Σ x²` over the elements, in Double; not finite exactly when an element is not.
    public func squaredSum() -> Double {
        withFloats { SquaredSum.of($0, nil, count: $1) }
    }

    /// Whether every element is finite (neither infinite nor NaN). O(n), eight at a time without
    /// stopping early: `x − x` is 0 exactly when `x` is finite, and NaN otherwise.
    public var isFinite: Bool {
        withFloats { values, count in
            guard let values else { return true }
            var residue = SIMD8<Float>()
            var index = 0
            while index + 8 <= count {
                let lanes = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
                residue += lanes - lanes
                index += 8
            }
            while index < count {
                guard values[index].isFinite else { return false }
                index += 1
            }
            return residue == SIMD8<Float>()
        }
    }

    /// `Σ (x − y)²` over the elements of `self` and `other`, in Double (within about a relative
    /// 2⁻¹⁹ of the exact sum); not finite exactly when an element of either is not.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func squaredDistance(to other: Tensor) throws -> Double {
        guard other.shape == shape else { throw TensorError.shapeMismatch("squared distance", shape, other.shape) }
        return withFloats { values, count in
            other.withFloats { others, _ in SquaredSum.of(values, others, count: count) }
        }
    }

    /// Calls `body` with the elements (row-major) and their count, reading a received
    /// message's floats in place rather than copying them (bfloat16 values are widened into an
    /// array first, once). The pointer is valid only inside `body`.
    public func withFloats<Result>(_ body: (UnsafePointer<Float>?, Int) throws -> Result) rethrows -> Result {
        if let borrowed, borrowed.encoding == .float32 {
            return try borrowed.base.withMemoryRebound(to: Float.self, capacity: borrowed.count) { try body($0, borrowed.count) }
        }
        return try storage.withUnsafeBufferPointer { try body($0.baseAddress, $0.count) }
    }
}

/// The loops behind ``Tensor/squaredSum()`` and ``Tensor/squaredDistance(to:)``.
enum SquaredSum {
    /// `Σ (x[i] − y[i])²`, or `Σ x[i]²` when `y` is nil.
    static func of(_ x: UnsafePointer<Float>?, _ y: UnsafePointer<Float>?, count: Int) -> Double {
        guard let x, count > 0 else { return 0 }
        guard let y else { return exact(x, nil, count: count) }
        var nothing = Unused()
        return distance(x, y, count: count, passing: &nothing)
    }

    /// Elements a distance (or a change's norm) is summed over at a time: it is the sum, in
    /// order, of its ``chunks(_:)``' sums, so that a pass split over threads by chunks
    /// (``Tensor/weightedSum(_:weights:isChange:measuringFrom:)``) measures the same bits as one
    /// thread does. A multiple of the 32-element step: only the last chunk has a tail.
    static let chunk = 16_384

    /// The chunks of `0..<count`, in order.
    static func chunks(_ count: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: chunk).map { $0..<min($0 + chunk, count) }
    }

    /// `Σ part(chunk)` over the ``chunks(_:)`` of `0..<count`, in order (without making their
    /// list: a sum measured once an update).
    @inline(__always) static func summedByChunks(_ count: Int, _ part: (Range<Int>) -> Double) -> Double {
        var (total, start) = (0.0, 0)
        while start < count {
            total += part(start..<min(start + chunk, count))
            start += chunk
        }
        return total
    }

    /// `Σ (x[i] − y[i])²` as ``of(_:_:count:)`` measures it, handing every `x[i]` to `sink`
    /// on the way: once each, in order, eight at a time up to the last whole eight.
    static func distance<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int,
                                          passing sink: inout Sink) -> Double {
        summedByChunks(count) { distance(x, y, in: $0, count: count, passing: &sink) }
    }

    /// One chunk's part of ``distance(_:_:count:passing:)``: the elements in `range` of the
    /// `count` there are (read ahead up to `count`).
    static func distance<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, in range: Range<Int>, count: Int,
                                          passing sink: inout Sink) -> Double {
        let fast = floatDifferences(x, y, in: range, count: count, passing: &sink)
        return fast.isFinite ? fast : exact(x, y, in: range)
    }

    /// Each value (or difference) in Double before it is squared.
    private static func exact(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, count: Int) -> Double {
        exact(x, y, in: 0..<count)
    }

    /// ``exact(_:_:count:)`` over the elements in `range`.
    private static func exact(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, in range: Range<Int>) -> Double {
        guard let y else { return squares(ExactValues(x: x), in: range) }
        return squares(ExactDifferences(x: x, y: y), in: range)
    }

    /// `Σ (x[i] − y[i])²`, each difference rounded to Float and squared in Double: bit for bit
    /// ``of(_:_:count:)`` of the differences made first (`x − y` in Float), without making them.
    static func ofFloatDifferences(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        squares(FloatDifferences(x: x, y: y), in: 0..<count)
    }

    /// `Σ v²` in Double over the values of `values` in `range`: sixteen a step into two
    /// accumulators, then the last fewer than sixteen one by one, in that fixed order.
    @inline(__always) private static func squares<Values: DoubleValues>(_ values: Values, in range: Range<Int>) -> Double {
        var (first, second) = (SIMD8<Double>(), SIMD8<Double>())
        var index = range.lowerBound
        let count = range.upperBound
        while index + 16 <= count {
            values.prefetch(at: index, count: count)
            let (a, b) = (values.eight(at: index), values.eight(at: index + 8))
            first.addProduct(a, a)
            second.addProduct(b, b)
            index += 16
        }
        var total = (first + second).sum()
        while index < count {
            let value = values.one(at: index)
            total += value * value
            index += 1
        }
        return total
    }

    /// Each difference in Float, squared and summed in Double (``Lanes``). `x` is asked for
    /// ahead (``StreamPrefetch``); `y` is the one model every update is measured against,
    /// already in cache.
    private static func floatDifferences<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, in range: Range<Int>,
                                                          count: Int, passing sink: inout Sink) -> Double {
        var lanes = Lanes()
        var index = range.lowerBound
        while index + 32 <= range.upperBound {
            StreamPrefetch.ahead(of: x, at: index, count: count)
            lanes.add(x, y, at: index, passing: &sink)
            index += 32
        }
        return lanes.finish(x, y, from: index, count: range.upperBound, passing: &sink)
    }

    /// One chunk's part (``distance(_:_:in:count:passing:)``) of the distance of `first` and of
    /// `second`, from one pass: each element of `y` (and of what the sinks write to) is brought
    /// in once for both, and each sum and sink sees what the two passes one after the other
    /// would show it, `first`'s values before `second`'s, so both are the same bit for bit.
    /// `pair` takes the two sources' values eight at a time; the last fewer than 32 go to
    /// `firstSink`, then to `secondSink`, as ``distance(_:_:in:count:passing:)`` hands them.
    static func distances<Pair: PairSink, Sink: ValueSink>(_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>,
                                                            from y: UnsafePointer<Float>, in range: Range<Int>, count: Int,
                                                            passing pair: inout Pair, then firstSink: inout Sink,
                                                            _ secondSink: inout Sink) -> (Double, Double) {
        @inline(__always) func differences(_ index: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            let (one, two) = (UnsafeRawPointer(first + index).loadUnaligned(as: SIMD8<Float>.self),
                              UnsafeRawPointer(second + index).loadUnaligned(as: SIMD8<Float>.self))
            pair.take(one, two, at: index)
            let reference = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self)
            return (one - reference, two - reference)
        }
        var (firstLanes, secondLanes) = (Lanes(), Lanes())
        var index = range.lowerBound
        while index + 32 <= range.upperBound {
            StreamPrefetch.ahead(of: first, at: index, count: count)
            StreamPrefetch.ahead(of: second, at: index, count: count)
            let (a, b, c, d) = (differences(index), differences(index + 8), differences(index + 16), differences(index + 24))
            firstLanes.add(a.0, b.0, c.0, d.0)
            secondLanes.add(a.1, b.1, c.1, d.1)
            index += 32
        }
        let firstSum = firstLanes.finish(first, y, from: index, count: range.upperBound, passing: &firstSink)
        let secondSum = secondLanes.finish(second, y, from: index, count: range.upperBound, passing: &secondSink)
        return (firstSum.isFinite ? firstSum : exact(first, y, in: range),
                secondSum.isFinite ? secondSum : exact(second, y, in: range))
    }

    /// Squared differences summed in four accumulators of eight Floats (so that the additions'
    /// latency overlaps), 32 elements at a time, each accumulator carried into one of eight
    /// Doubles every ``carried`` additions: squaring in Float takes half the work of converting
    /// to Double first, and a Float sum of 16 squares is within a relative 2⁻²⁰ of the exact one
    /// (a distance, with its differences' rounding, within about 2⁻¹⁹).
    /// A square that overflows a Float makes the sum infinite, which the caller measures again
    /// exactly. The last fewer than 32 elements are added one by one.
    struct Lanes {
        private var sums = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
        private var block = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        private var added = 0
        /// Additions to each Float accumulator before it is carried into its Double one.
        static let carried = 16

        /// Adds the squared differences of the 32 elements from `index`, handing `x`'s to `sink`.
        @inline(__always) mutating func add<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, at index: Int,
                                                            passing sink: inout Sink) {
            @inline(__always) func lanes(_ index: Int, _ sink: inout Sink) -> SIMD8<Float> {
                let values = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
                sink.take(values, at: index)
                return values - UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self)
            }
            let (a, b) = (lanes(index, &sink), lanes(index + 8, &sink))
            let (c, d) = (lanes(index + 16, &sink), lanes(index + 24, &sink))
            add(a, b, c, d)
        }

        /// Adds the squares of 32 differences, eight to each accumulator in turn.
        @inline(__always) mutating func add(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>) {
            block.0.addProduct(a, a)
            block.1.addProduct(b, b)
            block.2.addProduct(c, c)
            block.3.addProduct(d, d)
            added += 1
            if added == Self.carried { carry() }
        }

        /// The sum of the squares added so far.
        @inline(__always) mutating func sum() -> Double {
            carry()
            return ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
        }

        /// Adds the Float accumulators to the Double ones, and empties them.
        @inline(__always) private mutating func carry() {
            sums.0 += SIMD8<Double>(block.0)
            sums.1 += SIMD8<Double>(block.1)
            sums.2 += SIMD8<Double>(block.2)
            sums.3 += SIMD8<Double>(block.3)
            block = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            added = 0
        }

        /// The sum, with the elements from `index` (fewer than 32 left) added one by one; the
        /// sink takes whole eights as far as they go, the rest one by one.
        @inline(__always) mutating func finish<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, from index: Int,
                                                               count: Int, passing sink: inout Sink) -> Double {
            var total = sum()
            var handed = index
            while handed + 8 <= count {
                sink.take(UnsafeRawPointer(x + handed).loadUnaligned(as: SIMD8<Float>.self), at: handed)
                handed += 8
            }
            var index = index
            while index < count {
                if index >= handed { sink.take(x[index], at: index) }
                let value = Double(x[index] - y[index])
                total += value * value
                index += 1
            }
            return total
        }
    }

    /// A sink that does nothing (a plain distance).
    struct Unused: ValueSink {
        @inline(__always) mutating func take(_ values: SIMD8<Float>, at index: Int) {}
        @inline(__always) mutating func take(_ value: Float, at index: Int) {}
    }
}

/// What a pass measuring two distances at once does with the values it reads, eight of each
/// at a time (see ``SquaredSum/distances(_:_:from:count:passing:then:_:)``).
protocol PairSink {
    /// Eight values of the first source and the eight of the second at the same `index`.
    mutating func take(_ first: SIMD8<Float>, _ second: SIMD8<Float>, at index: Int)
}

/// What a pass measuring a distance also does with the values it reads (see
/// ``SquaredSum/distance(_:_:count:passing:)``).
protocol ValueSink {
    /// Eight values, from `index` on.
    mutating func take(_ values: SIMD8<Float>, at index: Int)
    /// One value, at `index` (the last fewer than eight).
    mutating func take(_ value: Float, at index: Int)
}

/// Values to square in Double, eight or one at a time (``SquaredSum``'s exact sums).
private protocol DoubleValues {
    func eight(at index: Int) -> SIMD8<Double>
    func one(at index: Int) -> Double
    /// Asks ahead for what a pass from `index` reads next.
    func prefetch(at index: Int, count: Int)
}

/// Floats, each made a Double.
private struct ExactValues: DoubleValues {
    let x: UnsafePointer<Float>

    @inline(__always) func eight(at index: Int) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self))
    }

    @inline(__always) func one(at index: Int) -> Double { Double(x[index]) }

    @inline(__always) func prefetch(at index: Int, count: Int) {}
}

/// Two Floats' difference taken in Double.
private struct ExactDifferences: DoubleValues {
    let x: UnsafePointer<Float>, y: UnsafePointer<Float>

    @inline(__always) func eight(at index: Int) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self))
            - SIMD8<Double>(UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self))
    }

    @inline(__always) func one(at index: Int) -> Double { Double(x[index]) - Double(y[index]) }

    @inline(__always) func prefetch(at index: Int, count: Int) {}
}

/// Two Floats' difference rounded to Float, then made a Double; `x` (a client's model, read
/// from memory) asked for ahead.
private struct FloatDifferences: DoubleValues {
    let x: UnsafePointer<Float>, y: UnsafePointer<Float>

    @inline(__always) func eight(at index: Int) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            - UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self))
    }

    @inline(__always) func one(at index: Int) -> Double { Double(x[index] - y[index]) }

    @inline(__always) func prefetch(at index: Int, count: Int) {
        if index % StreamPrefetch.stride == 0 { StreamPrefetch.ahead(of: x, at: index, count: count) }
    }
}
