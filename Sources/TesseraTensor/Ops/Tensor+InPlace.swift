// In-place updates for optimizers and aggregation: no new tensor, no copy when the storage is
// not shared. They keep the tensor's autograd leaf (as PyTorch's updates of `param.data` do) and
// are never recorded.

extension Tensor {
    /// `self += scale * other`, elementwise (BLAS's axpy).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(_ other: Tensor, scaledBy scale: Float) throws {
        guard other.shape == shape else { throw TensorError.shapeMismatch("add in place", shape, other.shape) }
        let count = Shape.count(shape)
        // A received update is read where it arrived, not first copied into an array.
        other.withFloats { source, _ in
            storage.withUnsafeMutableBufferPointer { target in
                guard let ps = source, let pt = target.baseAddress else { return }
                let factor = SIMD8<Float>(repeating: scale)
                @inline(__always) func addEight(at index: Int) {
                    let s = UnsafeRawPointer(ps + index).loadUnaligned(as: SIMD8<Float>.self)
                    let t = UnsafeRawPointer(pt + index).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(pt + index).storeBytes(of: t.addingProduct(factor, s), as: SIMD8<Float>.self)
                }
                Elementwise.forChunks(count) { range in
                    var index = range.lowerBound
                    // `other` is often a received update, read from memory: asked for ahead.
                    while index + StreamPrefetch.stride <= range.upperBound {
                        StreamPrefetch.ahead(of: ps, at: index, count: range.upperBound)
                        for offset in stride(from: 0, to: StreamPrefetch.stride, by: 8) { addEight(at: index + offset) }
                        index += StreamPrefetch.stride
                    }
                    while index + 8 <= range.upperBound {
                        addEight(at: index)
                        index += 8
                    }
                    while index < range.upperBound {
                        pt[index] += scale * ps[index]
                        index += 1
                    }
                }
            }
        }
    }

    /// Multiplies every element by `factor`.
    public mutating func scale(by factor: Float) {
        let count = Shape.count(shape)
        storage.withUnsafeMutableBufferPointer { target in
            guard let pt = target.baseAddress else { return }
            Elementwise.forChunks(count) { range in
                for index in range { pt[index] *= factor }
            }
        }
    }

    /// Lets `body` change the elements in place (the count must stay the same).
    public mutating func withMutableScalars<Result>(_ body: (inout [Float]) throws -> Result) rethrows -> Result {
        var values = storage
        storage = []
        defer {
            precondition(values.count == Shape.count(shape), "withMutableScalars must keep the element count")
            storage = values
        }
        return try body(&values)
    }
}
