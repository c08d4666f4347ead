// Sums of squares for norms: accumulated in Double, in lanes summed in a fixed order (so the
// result never depends on the thread count). A Float squared fits a Double with room to spare,
// so the sum is finite exactly when every element is: one pass both measures a tensor and checks
// it. A distance takes each difference in Float (converting one value to Double rather than two
// halves the pass's work; the difference's relative error is at most 2⁻²⁴) and, only when that
// sum is not finite, again exactly in Double: a difference of two finite Floats can overflow a
// Float, never a Double.

extension Tensor {
    /// `Σ x²` over the elements, in Double; not finite exactly when an element is not.
    public func squaredSum() -> Double {
        withFloats { SquaredSum.of($0, nil, count: $1) }
    }

    /// `Σ (x − y)²` over the elements of `self` and `other`, in Double (each difference within a
    /// relative 2⁻²⁴ of the exact one); not finite exactly when an element of either is not.
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

/// The loops behind ``Tensor/squaredSum()`` and ``Tensor/squaredDistance(to:)``.
enum SquaredSum {
    /// `Σ (x[i] − y[i])²`, or `Σ x[i]²` when `y` is nil.
    static func of(_ x: UnsafePointer<Float>?, _ y: UnsafePointer<Float>?, count: Int) -> Double {
        guard let x, count > 0 else { return 0 }
        guard let y else { return exact(x, nil, count: count) }
        var nothing = Unused()
        return distance(x, y, count: count, passing: &nothing)
    }

    /// `Σ (x[i] − y[i])²` as ``of(_:_:count:)`` measures it, handing every `x[i]` to `sink`
    /// on the way: once each, in order, eight at a time up to the last whole eight.
    static func distance<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int,
                                          passing sink: inout Sink) -> Double {
        let fast = floatDifferences(x, y, count: count, passing: &sink)
        return fast.isFinite ? fast : exact(x, y, count: count)
    }

    /// Each value (or difference) in Double before it is squared.
    private static func exact(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, count: Int) -> Double {
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

    /// Each difference in Float, squared and summed in Double: four accumulators, so that the
    /// additions' latency overlaps. `x` is asked for ahead (``StreamPrefetch``); `y` is the
    /// one model every update is measured against, already in cache.
    private static func floatDifferences<Sink: ValueSink>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int,
                                                          passing sink: inout Sink) -> Double {
        @inline(__always) func lanes(_ index: Int, _ sink: inout Sink) -> SIMD8<Double> {
            let values = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            sink.take(values, at: index)
            return SIMD8<Double>(values - UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self))
        }
        var sums = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
        var index = 0
        while index + 32 <= count {
            StreamPrefetch.ahead(of: x, at: index, count: count)
            let (a, b) = (lanes(index, &sink), lanes(index + 8, &sink))
            let (c, d) = (lanes(index + 16, &sink), lanes(index + 24, &sink))
            sums.0.addProduct(a, a)
            sums.1.addProduct(b, b)
            sums.2.addProduct(c, c)
            sums.3.addProduct(d, d)
            index += 32
        }
        var total = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
        // The sink takes whole eights as far as they go, the rest one by one.
        var handed = index
        while handed + 8 <= count {
            sink.take(UnsafeRawPointer(x + handed).loadUnaligned(as: SIMD8<Float>.self), at: handed)
            handed += 8
        }
        while index < count {
            if index >= handed { sink.take(x[index], at: index) }
            let value = Double(x[index] - y[index])
            total += value * value
            index += 1
        }
        return total
    }

    /// A sink that does nothing (a plain distance).
    struct Unused: ValueSink {
        @inline(__always) mutating func take(_ values: SIMD8<Float>, at index: Int) {}
        @inline(__always) mutating func take(_ value: Float, at index: Int) {}
    }
}

/// What a pass measuring a distance also does with the values it reads (see
/// ``SquaredSum/distance(_:_:count:passing:)``).
protocol ValueSink {
    /// Eight values, from `index` on.
    mutating func take(_ values: SIMD8<Float>, at index: Int)
    /// One value, at `index` (the last fewer than eight).
    mutating func take(_ value: Float, at index: Int)
}
