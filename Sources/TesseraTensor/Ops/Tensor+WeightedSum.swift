// Aggregation's one pass over a round's clients' models (or their changes): summing them,
// weighted, into a new tensor while measuring each one's distance from the model they trained
// from (a change, its own norm), each value read once, two sources at a time so that the sum
// and the base are read once for both.
//
// Reading a round's updates is bound by memory, and one core of this kind of machine cannot
// draw the memory's bandwidth alone: the pass is split over the kernel pool by element. Each
// thread takes a contiguous share of the ``SquaredSum/chunk``s and runs every source over it,
// so each element of the sum sees the same additions in the same order whatever the thread
// count, and each distance is its chunks' sums added in order, as one thread measures it:
// the same bits from one thread or many.

extension Tensor {
    /// `Σ weights[i] · sources[i]`, where a source that `isChange` marks is a change from
    /// `base` and adds the model `base + change`, with each source's squared distance from
    /// `base` (a change's own `Σ x²`, ``squaredChangeSum()``). Bit for bit what scaling the
    /// first with `scale(by:)` and adding the others in order with `add(_:scaledBy:)` makes (a
    /// change's model made first with `adding(_:)`), and what `squaredDistance(to:)` measures,
    /// from one pass over each source, split over ``ThreadPool/current``. A bfloat16 change is
    /// read in place, in its two bytes a value.
    ///
    /// - Throws: ``TensorError`` for no sources, counts of weights or marks that differ from
    ///   the sources', or a shape that is not `base`'s.
    public static func weightedSum(_ sources: [Tensor], weights: [Float], isChange: [Bool],
                                   measuringFrom base: Tensor) throws -> (sum: Tensor, squared: [Double]) {
        guard !sources.isEmpty, weights.count == sources.count, isChange.count == sources.count else {
            throw TensorError.invalidArgument("weighted sum", "needs a weight and a mark for each of at least one source "
                                              + "(got \(sources.count) sources, \(weights.count) weights, \(isChange.count) marks)")
        }
        for source in sources where source.shape != base.shape {
            throw TensorError.shapeMismatch("weighted sum, measuring", base.shape, source.shape)
        }
        let count = Shape.count(base.shape)
        let chunks = SquaredSum.chunks(count)
        guard !chunks.isEmpty else { return (base, [Double](repeating: 0, count: sources.count)) }
        var partials = [Double](repeating: 0, count: sources.count * chunks.count)
        var gathered: [Summand] = []
        gathered.reserveCapacity(sources.count)
        let values = base.withFloats { reference, _ in
            withSummands(of: sources, isChange: isChange, gathered: &gathered) { summands in
                [Float](unsafeUninitializedCapacity: count) { target, initialized in
                    initialized = count
                    partials.withUnsafeMutableBufferPointer { partials in
                        guard let reference, let target = target.baseAddress, let partials = partials.baseAddress else { return }
                        let pass = SummingPass(summands: summands, weights: weights, base: reference, target: target, count: count,
                                               chunks: chunks, partials: partials)
                        let pool = ThreadPool.current
                        let shares = min(pool.threadCount, chunks.count)
                        pool.parallelFor(shares) { share, _ in
                            pass.run(chunks.count * share / shares..<chunks.count * (share + 1) / shares)
                        }
                    }
                }
            }
        }
        let squared = (0..<sources.count).map { source in
            partials[(source * chunks.count)..<((source + 1) * chunks.count)].reduce(0, +)
        }
        return (Tensor(shape: base.shape, storage: values), squared)
    }

    /// Calls `body` with where each of `sources` is read, valid only inside it: floats in
    /// place (``withFloats(_:)``), a change in bfloat16 in its two bytes a value.
    /// `gathered` holds the sources' places found so far (each call adds one, then goes deeper).
    private static func withSummands<Result>(of sources: [Tensor], isChange: [Bool], gathered: inout [Summand],
                                             _ body: ([Summand]) -> Result) -> Result {
        let index = gathered.count
        guard index < sources.count else { return body(gathered) }
        if isChange[index], let narrow = sources[index].narrowChange {
            gathered.append(.narrowChange(narrow))
            return withSummands(of: sources, isChange: isChange, gathered: &gathered, body)
        }
        return sources[index].withFloats { values, _ in
            // Only an empty tensor has no floats, and the caller has none: never read.
            let values = values ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment).unsafelyUnwrapped
            gathered.append(isChange[index] ? .change(FloatChange(values: values)) : .model(values))
            return withSummands(of: sources, isChange: isChange, gathered: &gathered, body)
        }
    }
}

/// Where one source of a ``Tensor/weightedSum(_:weights:isChange:measuringFrom:)`` is read.
private enum Summand {
    case model(UnsafePointer<Float>)
    case change(FloatChange)
    case narrowChange(BFloat16Change)

    /// Whether `other` is read the same way, so that the two can share a pass.
    func pairs(with other: Summand) -> Bool {
        switch (self, other) {
        case (.model, .model), (.change, .change), (.narrowChange, .narrowChange): true
        default: false
        }
    }
}

/// One ``Tensor/weightedSum(_:weights:isChange:measuringFrom:)``: what each thread's share of
/// the chunks reads and writes. Threads write disjoint elements of `target` and disjoint
/// entries of `partials` (source by source, chunk by chunk).
private struct SummingPass: @unchecked Sendable {
    // @unchecked: the pointers outlive the parallel loop, and its threads touch disjoint parts.
    let summands: [Summand]
    let weights: [Float]
    let base: UnsafePointer<Float>
    let target: UnsafeMutablePointer<Float>
    let count: Int
    let chunks: [Range<Int>]
    let partials: UnsafeMutablePointer<Double>

    /// Every source over the chunks `share`: the first written scaled, the others added two at
    /// a time where alike, each chunk's squared distance kept.
    func run(_ share: Range<Int>) {
        for chunk in share {
            var sink = Scaling(target: target, scale: weights[0])
            partials[chunk] = measure(summands[0], chunks[chunk], passing: &sink)
        }
        var position = 1
        while position < summands.count {
            let paired = position + 1 < summands.count && summands[position].pairs(with: summands[position + 1])
            for chunk in share {
                let range = chunks[chunk]
                if paired {
                    let (first, second) = measure(summands[position], summands[position + 1], weights[position],
                                                  weights[position + 1], range)
                    partials[position * chunks.count + chunk] = first
                    partials[(position + 1) * chunks.count + chunk] = second
                } else {
                    var sink = ScaledAddition(target: target, scale: weights[position])
                    partials[position * chunks.count + chunk] = measure(summands[position], range, passing: &sink)
                }
            }
            position += paired ? 2 : 1
        }
    }

    /// One source over `range`, its model handed to `sink`; its squared distance there.
    private func measure<Sink: ValueSink>(_ summand: Summand, _ range: Range<Int>, passing sink: inout Sink) -> Double {
        switch summand {
        case let .model(values): SquaredSum.distance(values, base, in: range, count: count, passing: &sink)
        case let .change(values): SquaredSum.change(values, over: base, in: range, count: count, passing: &sink)
        case let .narrowChange(values): SquaredSum.change(values, over: base, in: range, count: count, passing: &sink)
        }
    }

    /// Two alike sources over `range`, added into the sum in one pass; their squared distances there.
    private func measure(_ first: Summand, _ second: Summand, _ firstScale: Float, _ secondScale: Float,
                         _ range: Range<Int>) -> (Double, Double) {
        var both = ScaledPairAddition(target: target, firstScale: firstScale, secondScale: secondScale)
        var firstSink = ScaledAddition(target: target, scale: firstScale)
        var secondSink = ScaledAddition(target: target, scale: secondScale)
        switch (first, second) {
        case let (.model(one), .model(two)):
            return SquaredSum.distances(one, two, from: base, in: range, count: count, passing: &both, then: &firstSink, &secondSink)
        case let (.change(one), .change(two)):
            return SquaredSum.changes(one, two, over: base, in: range, count: count, passing: &both, then: &firstSink, &secondSink)
        case let (.narrowChange(one), .narrowChange(two)):
            return SquaredSum.changes(one, two, over: base, in: range, count: count, passing: &both, then: &firstSink, &secondSink)
        default:
            // Unlike sources are not paired (`Summand.pairs(with:)`); one after the other makes the same bits.
            var firstAlone = ScaledAddition(target: target, scale: firstScale)
            var secondAlone = ScaledAddition(target: target, scale: secondScale)
            return (measure(first, range, passing: &firstAlone), measure(second, range, passing: &secondAlone))
        }
    }
}
