/// Reductions along one axis of a tensor viewed as `[outer, length, inner]`. Each output element
/// is summed in index order, so results do not depend on thread count.
enum Reduction {
    /// Sums over the middle dimension: result has `outer * inner` elements.
    static func sum(_ x: [Float], outer: Int, length: Int, inner: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: outer * inner) { out, initialized in
            x.withUnsafeBufferPointer { x in
                let (px, po) = (x.baseAddress!, out.baseAddress!)
                forOuter(outer, work: length * inner) { o in
                    let source = px + o * length * inner
                    let target = po + o * inner
                    if inner == 1 {
                        var lanes = SIMD8<Float>()
                        var index = 0
                        while index + 8 <= length {
                            lanes += UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
                            index += 8
                        }
                        var total = lanes.sum()
                        while index < length {
                            total += source[index]
                            index += 1
                        }
                        target[0] = total
                    } else {
                        target.initialize(repeating: 0, count: inner)
                        for step in 0..<length {
                            let row = source + step * inner
                            for index in 0..<inner { target[index] += row[index] }
                        }
                    }
                }
            }
            initialized = outer * inner
        }
    }

    /// Maximum over the middle dimension (`length > 0`) and the index of its first occurrence.
    static func max(_ x: [Float], outer: Int, length: Int, inner: Int) -> (values: [Float], indices: [Int32]) {
        var indices = [Int32](repeating: 0, count: outer * inner)
        let values = [Float](unsafeUninitializedCapacity: outer * inner) { out, initialized in
            x.withUnsafeBufferPointer { x in
                indices.withUnsafeMutableBufferPointer { indices in
                    let (px, po, pi) = (x.baseAddress!, out.baseAddress!, indices.baseAddress!)
                    forOuter(outer, work: length * inner) { o in
                        let source = px + o * length * inner
                        for index in 0..<inner {
                            var best = source[index]
                            var bestStep: Int32 = 0
                            var step = 1
                            // NaN wins and stops the scan, as in NumPy and PyTorch.
                            while step < length && !best.isNaN {
                                let value = source[step * inner + index]
                                if value > best || value.isNaN {
                                    best = value
                                    bestStep = Int32(step)
                                }
                                step += 1
                            }
                            po[o * inner + index] = best
                            pi[o * inner + index] = bestStep
                        }
                    }
                }
            }
            initialized = outer * inner
        }
        return (values, indices)
    }

    /// Runs `body(o)` for each outer index, in parallel when the total work is large.
    private static func forOuter(_ outer: Int, work: Int, _ body: (Int) -> Void) {
        let perTask = Swift.max(1, Elementwise.chunk / Swift.max(work, 1))
        let tasks = (outer + perTask - 1) / perTask
        ThreadPool.current.parallelFor(tasks) { task, _ in
            for o in (task * perTask)..<Swift.min(outer, (task + 1) * perTask) { body(o) }
        }
    }
}
