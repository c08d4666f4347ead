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
}
