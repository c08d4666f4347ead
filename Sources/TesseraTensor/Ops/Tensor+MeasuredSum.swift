// Aggregation's one pass over each client's model: adding it, weighted, into a running sum
// while measuring its distance from the model it trained from, so that each value is read
// once (and four at a time, so that the sum and the model are read once for four). The sum is
// bit for bit what `add(_:scaledBy:)` (or `scaled(by:)`, for the first) makes and the distance
// what `squaredDistance(to:)` measures. One thread: the pass runs at memory
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

    /// `self += scales[i] · others[i]` for each `i` in order, returning each one's
    /// `Σ (others[i] − base)²`: bit for bit what ``add(_:scaledBy:measuringDistanceTo:)`` calls
    /// one after the other make, from one pass over `self` and `base` for every
    /// ``measuredGroup`` of them (each is brought from memory once for the group rather than once
    /// for each: a round's sum is this pass over its updates).
    ///
    /// - Throws: ``TensorError`` when the shapes differ or the counts of `others` and `scales` do.
    public mutating func add(_ others: [Tensor], scaledBy scales: [Float], measuringDistancesTo base: Tensor) throws -> [Double] {
        guard others.count == scales.count else {
            throw TensorError.invalidArgument("add several in place, measuring", "\(others.count) tensors but \(scales.count) scales")
        }
        for other in others { try Self.checkShapes(shape, other.shape, base.shape, "add several in place, measuring") }
        var distances: [Double] = []
        distances.reserveCapacity(others.count)
        var position = 0
        while position < others.count {
            let group = others[position..<min(position + Self.measuredGroup, others.count)]
            let weights = scales[group.indices]
            switch group.count {
            case 1: distances.append(try add(group[position], scaledBy: weights[position], measuringDistanceTo: base))
            case 2: distances += add(InlineArray<2, Float> { weights[position + $0] }, of: group, measuringDistancesTo: base)
            case 3: distances += add(InlineArray<3, Float> { weights[position + $0] }, of: group, measuringDistancesTo: base)
            default: distances += add(InlineArray<4, Float> { weights[position + $0] }, of: group, measuringDistancesTo: base)
            }
            position += group.count
        }
        return distances
    }

    /// How many tensors one pass adds while measuring: four streams from memory keep more of
    /// it in flight than two (measured on Zen 4: 39 against 46 µs per 0.8 MB update), and more
    /// than four spill the pass's registers (53 µs at eight).
    public static let measuredGroup = 4

    /// One pass of ``add(_:scaledBy:measuringDistancesTo:)`` over the `N` tensors of `others`
    /// (shapes checked by the caller).
    private mutating func add<let N: Int>(_ scales: InlineArray<N, Float>, of others: ArraySlice<Tensor>,
                                          measuringDistancesTo base: Tensor) -> [Double] {
        let count = Shape.count(shape)
        guard count > 0 else { return [Double](repeating: 0, count: N) }
        return Self.withFloats(of: others) { sources in
            base.withFloats { reference, _ in
                storage.withUnsafeMutableBufferPointer { target in
                    guard sources.count == N, let reference, let target = target.baseAddress else { return [Double](repeating: 0, count: N) }
                    var group = ScaledGroupAddition(target: target, scales: scales)
                    let distances = SquaredSum.distances(InlineArray<N, UnsafePointer<Float>> { sources[$0] }, from: reference,
                                                         count: count, passing: &group)
                    return (0..<N).map { distances[$0] }
                }
            }
        }
    }

    /// Calls `body` with the elements of each of `tensors` (none empty), valid only inside it.
    private static func withFloats<Result>(of tensors: ArraySlice<Tensor>, reading pointers: [UnsafePointer<Float>] = [],
                                           _ body: ([UnsafePointer<Float>]) -> Result) -> Result {
        guard let first = tensors.first else { return body(pointers) }
        return first.withFloats { values, _ in
            guard let values else { return withFloats(of: tensors.dropFirst(), reading: pointers, body) }
            return withFloats(of: tensors.dropFirst(), reading: pointers + [values], body)
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

/// Adds the values of each source it is handed times that source's scale, one source after the
/// other, into `target`: what a ``ScaledAddition`` for each in turn makes, reading and writing
/// `target` once.
private struct ScaledGroupAddition<let N: Int>: GroupSink {
    let target: UnsafeMutablePointer<Float>
    let scales: InlineArray<N, Float>

    @inline(__always) mutating func take(_ values: InlineArray<N, SIMD8<Float>>, at index: Int) {
        var sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
        for source in 0..<N { sum = sum.addingProduct(SIMD8(repeating: scales[source]), values[source]) }
        UnsafeMutableRawPointer(target + index).storeBytes(of: sum, as: SIMD8<Float>.self)
    }

    func single(_ source: Int) -> ScaledAddition {
        ScaledAddition(target: target, scale: scales[source])
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
