/// Standardization of consecutive groups of `length` elements (the rows of a `[groups, length]`
/// matrix): each shifted to zero mean and scaled by `1 / sqrt(variance + epsilon)` with the
/// biased variance, as layer and group normalization define it; and the backward rule. Groups
/// are split over the thread pool; each is summed in one fixed order, so results do not depend
/// on the number of threads.
enum GroupStandardization {
    /// The standardized values and each group's `1 / sqrt(variance + epsilon)`.
    static func forward(_ x: [Float], length: Int, epsilon: Float) -> (values: [Float], inverseDeviations: [Float]) {
        let groups = length > 0 ? x.count / length : 0
        var values = [Float](repeating: 0, count: x.count)
        var inverse = [Float](repeating: 0, count: groups)
        x.withUnsafeBufferPointer { x in
            values.withUnsafeMutableBufferPointer { values in
                inverse.withUnsafeMutableBufferPointer { inverse in
                    guard let px = x.baseAddress, let pv = values.baseAddress, let pi = inverse.baseAddress else { return }
                    forGroups(groups, length: length) { group in
                        let row = px + group * length, out = pv + group * length
                        let mean = Self.sum(row, length) / Float(length)
                        var squares = SIMD8<Float>(), tail: Float = 0, index = 0
                        while index + 8 <= length {
                            let d = UnsafeRawPointer(row + index).loadUnaligned(as: SIMD8<Float>.self) - mean
                            squares += d * d
                            index += 8
                        }
                        while index < length { let d = row[index] - mean; tail += d * d; index += 1 }
                        let scale = 1 / ((squares.sum() + tail) / Float(length) + epsilon).squareRoot()
                        pi[group] = scale
                        index = 0
                        while index + 8 <= length {
                            let v = UnsafeRawPointer(row + index).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + index).storeBytes(of: (v - mean) * scale, as: SIMD8<Float>.self)
                            index += 8
                        }
                        while index < length { out[index] = (row[index] - mean) * scale; index += 1 }
                    }
                }
            }
        }
        return (values, inverse)
    }

    /// The gradient of the input from the gradient `g` of the standardized values `y`:
    /// `s · (g − mean(g) − y · mean(g · y))` per group, `s` its inverse deviation.
    static func backward(_ g: [Float], values y: [Float], inverseDeviations: [Float], length: Int) -> [Float] {
        var result = [Float](repeating: 0, count: g.count)
        g.withUnsafeBufferPointer { g in
            y.withUnsafeBufferPointer { y in
                inverseDeviations.withUnsafeBufferPointer { inverse in
                    result.withUnsafeMutableBufferPointer { result in
                        guard let pg = g.baseAddress, let py = y.baseAddress, let pr = result.baseAddress,
                              let pi = inverse.baseAddress else { return }
                        forGroups(inverse.count, length: length) { group in
                            let (gRow, yRow, out) = (pg + group * length, py + group * length, pr + group * length)
                            var sums = SIMD8<Float>(), products = SIMD8<Float>()
                            var (sumTail, productTail): (Float, Float) = (0, 0)
                            var index = 0
                            while index + 8 <= length {
                                let gv = UnsafeRawPointer(gRow + index).loadUnaligned(as: SIMD8<Float>.self)
                                let yv = UnsafeRawPointer(yRow + index).loadUnaligned(as: SIMD8<Float>.self)
                                sums += gv
                                products += gv * yv
                                index += 8
                            }
                            while index < length { sumTail += gRow[index]; productTail += gRow[index] * yRow[index]; index += 1 }
                            let meanG = (sums.sum() + sumTail) / Float(length)
                            let meanGY = (products.sum() + productTail) / Float(length)
                            let scale = pi[group]
                            index = 0
                            while index + 8 <= length {
                                let gv = UnsafeRawPointer(gRow + index).loadUnaligned(as: SIMD8<Float>.self)
                                let yv = UnsafeRawPointer(yRow + index).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(out + index).storeBytes(of: (gv - meanG - yv * meanGY) * scale, as: SIMD8<Float>.self)
                                index += 8
                            }
                            while index < length { out[index] = (gRow[index] - meanG - yRow[index] * meanGY) * scale; index += 1 }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The sum of `count` floats from `start`, eight lanes at a time.
    private static func sum(_ start: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD8<Float>(), tail: Float = 0, index = 0
        while index + 8 <= count {
            lanes += UnsafeRawPointer(start + index).loadUnaligned(as: SIMD8<Float>.self)
            index += 8
        }
        while index < count { tail += start[index]; index += 1 }
        return lanes.sum() + tail
    }

    /// Runs `body` for each of `groups` groups, on the thread pool when there is enough work.
    private static func forGroups(_ groups: Int, length: Int, _ body: (Int) -> Void) {
        let tasks = min(groups, max(1, groups * length / Elementwise.chunk))
        guard tasks > 1 else { return (0..<groups).forEach(body) }
        ThreadPool.current.parallelFor(tasks) { task, _ in
            for group in GEMM.evenSlice(of: groups, part: task, of: tasks) { body(group) }
        }
    }
}
