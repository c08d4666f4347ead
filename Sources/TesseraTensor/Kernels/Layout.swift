/// Data movement between memory layouts.
enum Layout {
    /// The elements of a row-major tensor of `shape` reordered so that output dimension `i` is
    /// input dimension `axes[i]`.
    static func permute(_ x: [Float], shape: [Int], axes: [Int]) -> [Float] {
        let rank = shape.count
        if axes == Array(0..<rank) { return x }
        let count = x.count
        let inputStrides = Shape.strides(shape)
        let outShape = axes.map { shape[$0] }
        let readStrides = axes.map { inputStrides[$0] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            x.withUnsafeBufferPointer { x in
                guard count > 0 else { return }
                let (px, po) = (x.baseAddress!, out.baseAddress!)
                let inner = outShape[rank - 1]
                let innerStride = readStrides[rank - 1]
                let rows = count / inner
                Elementwise.forChunks(rows) { range in
                    for row in range {
                        var remainder = row
                        var offset = 0
                        for axis in stride(from: rank - 2, through: 0, by: -1) {
                            offset += (remainder % outShape[axis]) * readStrides[axis]
                            remainder /= outShape[axis]
                        }
                        let target = po + row * inner
                        for index in 0..<inner { target[index] = px[offset + index * innerStride] }
                    }
                }
            }
            initialized = count
        }
    }

    /// Writes the transpose of a row-major `rows × columns` matrix to `output` (`columns × rows`),
    /// adding `bias[column]` to output row `column` when given. Blocked so both sides stay in L1.
    static func transpose(
        _ input: UnsafePointer<Float>, rows: Int, columns: Int, into output: UnsafeMutablePointer<Float>,
        adding bias: UnsafePointer<Float>?
    ) {
        let block = 16
        var rowStart = 0
        while rowStart < rows {
            let rowEnd = min(rows, rowStart + block)
            for column in 0..<columns {
                let value = bias?[column] ?? 0
                let target = output + column * rows
                for row in rowStart..<rowEnd { target[row] = input[row * columns + column] + value }
            }
            rowStart = rowEnd
        }
    }

    /// `target[i] = source[i]` for `count` elements, eight at a time: for short rows (im2col),
    /// where a `memmove` call per row costs more than the copy itself.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            UnsafeMutableRawPointer(target + index).storeBytes(
                of: UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            target[index] = source[index]
            index += 1
        }
    }

    /// `target[i] += source[i]` for `count` elements, eight at a time.
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            let sum = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(target + index).storeBytes(of: sum, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            target[index] += source[index]
            index += 1
        }
    }
}
