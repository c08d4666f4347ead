import Foundation

/// An elementwise function of two floats, in scalar and 8-lane forms.
protocol BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float>
}

/// An elementwise function of one float, in scalar and 8-lane forms.
protocol UnaryFunction {
    static func apply(_ x: Float) -> Float
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float>
}

/// Vectorized elementwise loops: unary maps and binary ops with NumPy broadcasting. Large
/// loops are split over the thread pool in fixed chunks, so results do not depend on threads.
enum Elementwise {
    /// Elements per parallel chunk; below two chunks a loop runs on the caller.
    static let chunk = 1 << 16

    /// `a + b` for equal-length arrays.
    static func add(_ a: [Float], _ b: [Float]) -> [Float] {
        binary(a, b, Add.self)
    }

    /// `function(a, b)` for equal-length arrays.
    static func binary<F: BinaryFunction>(_ a: [Float], _ b: [Float], _: F.Type) -> [Float] {
        let count = a.count
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    let (pa, pb, po) = (a.baseAddress!, b.baseAddress!, out.baseAddress!)
                    forChunks(count) { range in
                        contiguous(pa + range.lowerBound, 1, pb + range.lowerBound, 1,
                                   po + range.lowerBound, range.count, F.self)
                    }
                }
            }
            initialized = count
        }
    }

    /// `function(x)` for every element.
    static func map<F: UnaryFunction>(_ x: [Float], _: F.Type) -> [Float] {
        let count = x.count
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            x.withUnsafeBufferPointer { x in
                let (px, po) = (x.baseAddress!, out.baseAddress!)
                forChunks(count) { range in
                    var index = range.lowerBound
                    while index + 8 <= range.upperBound {
                        let v = UnsafeRawPointer(px + index).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(po + index).storeBytes(of: F.apply(v), as: SIMD8<Float>.self)
                        index += 8
                    }
                    while index < range.upperBound {
                        po[index] = F.apply(px[index])
                        index += 1
                    }
                }
            }
            initialized = count
        }
    }

    /// `function(a, b)` broadcast to `shape` (already checked to be the broadcast of both).
    static func broadcast<F: BinaryFunction>(
        _ a: Tensor, _ b: Tensor, to shape: [Int], _: F.Type
    ) -> [Float] {
        if a.shape == b.shape { return binary(a.storage, b.storage, F.self) }
        let count = Shape.count(shape)
        guard count > 0 else { return [] }
        let rank = shape.count
        let stridesA = Shape.broadcastStrides(a.shape, to: shape)
        let stridesB = Shape.broadcastStrides(b.shape, to: shape)
        let inner = shape[rank - 1]
        let rows = count / inner
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    let (baseA, baseB, po) = (pa.baseAddress!, pb.baseAddress!, out.baseAddress!)
                    let rowsPerChunk = max(1, chunk / max(inner, 1))
                    let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
                    ThreadPool.current.parallelFor(chunks) { chunkIndex, _ in
                        let firstRow = chunkIndex * rowsPerChunk
                        let lastRow = min(rows, firstRow + rowsPerChunk)
                        for row in firstRow..<lastRow {
                            // Offsets of this row in a and b from its multi-index.
                            var remainder = row
                            var offsetA = 0, offsetB = 0
                            for axis in stride(from: rank - 2, through: 0, by: -1) {
                                let index = remainder % shape[axis]
                                remainder /= shape[axis]
                                offsetA += index * stridesA[axis]
                                offsetB += index * stridesB[axis]
                            }
                            contiguous(baseA + offsetA, stridesA[rank - 1], baseB + offsetB, stridesB[rank - 1],
                                       po + row * inner, inner, F.self)
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// One row: `out[i] = f(a[i * strideA], b[i * strideB])` with strides 0 or 1.
    @inline(__always)
    private static func contiguous<F: BinaryFunction>(
        _ a: UnsafePointer<Float>, _ strideA: Int, _ b: UnsafePointer<Float>, _ strideB: Int,
        _ out: UnsafeMutablePointer<Float>, _ count: Int, _: F.Type
    ) {
        var index = 0
        if strideA == 1 && strideB == 1 {
            while index + 8 <= count {
                let va = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
                let vb = UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + index).storeBytes(of: F.apply(va, vb), as: SIMD8<Float>.self)
                index += 8
            }
        } else if strideA == 1 {
            let vb = SIMD8<Float>(repeating: b[0])
            while index + 8 <= count {
                let va = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + index).storeBytes(of: F.apply(va, vb), as: SIMD8<Float>.self)
                index += 8
            }
        } else if strideB == 1 {
            let va = SIMD8<Float>(repeating: a[0])
            while index + 8 <= count {
                let vb = UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + index).storeBytes(of: F.apply(va, vb), as: SIMD8<Float>.self)
                index += 8
            }
        }
        while index < count {
            out[index] = F.apply(a[index * strideA], b[index * strideB])
            index += 1
        }
    }

    /// Runs `body` over `0..<count` in fixed chunks, in parallel when there are several.
    static func forChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunks = (count + chunk - 1) / chunk
        if chunks <= 1 {
            body(0..<count)
            return
        }
        ThreadPool.current.parallelFor(chunks) { index, _ in
            body((index * chunk)..<min(count, (index + 1) * chunk))
        }
    }
}
