// Matrix multiplication, 2-D and batched (with NumPy broadcasting of the batch dimensions),
// on the packed GEMM kernel.

extension Tensor {
    /// The matrix product `op(self) · op(other)` over the last two dimensions, where `op`
    /// transposes those two dimensions when asked (handled in the kernel's packing, no copy);
    /// leading (batch) dimensions broadcast.
    ///
    /// - Throws: ``TensorError`` for rank below 2, inner dimensions that differ, or batch
    ///   dimensions that do not broadcast.
    public func matmul(_ other: Tensor, transposingSelf: Bool = false, transposingOther: Bool = false) throws -> Tensor {
        let (tA, tB) = (transposingSelf, transposingOther)
        let result = try Self.product(self, transposingLeft: tA, other, transposingRight: tB)
        let (lhs, rhs) = (detached(), other.detached())
        let needs = (node != nil, other.node != nil)
        return Self.recorded(result, inputs: [self, other]) { gradient in
            // C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, transposed back where op did.
            let lhsGradient = !needs.0 ? nil : try (tA
                ? Self.product(rhs, transposingLeft: tB, gradient, transposingRight: true)
                : Self.product(gradient, transposingLeft: false, rhs, transposingRight: !tB)).summed(toShape: lhs.shape)
            let rhsGradient = !needs.1 ? nil : try (tB
                ? Self.product(gradient, transposingLeft: true, lhs, transposingRight: tA)
                : Self.product(lhs, transposingLeft: !tA, gradient, transposingRight: false)).summed(toShape: rhs.shape)
            return [lhsGradient, rhsGradient]
        }
    }

    /// Writes the 2-D product `lhs · rhs` into `result`, reusing its storage when it already
    /// has the right shape and is not shared. Not recorded for autograd; for hot loops and
    /// benchmarks that must not allocate.
    ///
    /// - Throws: ``TensorError`` when the operands are not matrices with matching inner sizes.
    public static func matmul(_ lhs: Tensor, _ rhs: Tensor, into result: inout Tensor) throws {
        guard lhs.rank == 2, rhs.rank == 2, lhs.shape[1] == rhs.shape[0] else {
            throw TensorError.shapeMismatch("matmul", lhs.shape, rhs.shape, "expected [m, k] and [k, n]")
        }
        let (m, k, n) = (lhs.shape[0], lhs.shape[1], rhs.shape[1])
        if result.shape != [m, n] {
            result = Tensor(shape: [m, n], storage: [Float](repeating: 0, count: m * n))
        }
        result.node = nil
        lhs.storage.withUnsafeBufferPointer { a in
            rhs.storage.withUnsafeBufferPointer { b in
                result.storage.withUnsafeMutableBufferPointer { c in
                    guard let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress else { return }
                    GEMM.multiply(m: m, n: n, k: k,
                                  a: MatrixOperand(rowMajor: pa, columns: k),
                                  b: MatrixOperand(rowMajor: pb, columns: n),
                                  c: pc, ldc: n, accumulate: false)
                }
            }
        }
    }

    /// `op(lhs) · op(rhs)` where `op` transposes the last two dimensions when asked, batched
    /// over broadcast leading dimensions. Not recorded.
    static func product(
        _ lhs: Tensor, transposingLeft: Bool, _ rhs: Tensor, transposingRight: Bool
    ) throws -> Tensor {
        guard lhs.rank >= 2, rhs.rank >= 2 else {
            throw TensorError.shapeMismatch("matmul", lhs.shape, rhs.shape, "both operands need rank 2 or more")
        }
        let (lhsRows, lhsColumns) = (lhs.shape[lhs.rank - 2], lhs.shape[lhs.rank - 1])
        let (rhsRows, rhsColumns) = (rhs.shape[rhs.rank - 2], rhs.shape[rhs.rank - 1])
        let (m, k) = transposingLeft ? (lhsColumns, lhsRows) : (lhsRows, lhsColumns)
        let (k2, n) = transposingRight ? (rhsColumns, rhsRows) : (rhsRows, rhsColumns)
        guard k == k2 else {
            throw TensorError.shapeMismatch("matmul", lhs.shape, rhs.shape, "inner dimensions \(k) and \(k2) differ")
        }
        let lhsBatch = Array(lhs.shape.dropLast(2)), rhsBatch = Array(rhs.shape.dropLast(2))
        let batch = try Shape.broadcast(lhsBatch, rhsBatch, operation: "matmul")
        let batchCount = Shape.count(batch)
        let lhsStrides = Shape.broadcastStrides(lhsBatch, to: batch)
        let rhsStrides = Shape.broadcastStrides(rhsBatch, to: batch)
        // Many tiny products (a batch of 1x1 matrices): GEMM's packing would cost more than the
        // arithmetic, so those are summed directly, in the same order of k.
        let tiny = m * n * k <= 64
        let storage = [Float](unsafeUninitializedCapacity: batchCount * m * n) { c, initialized in
            guard let pc = c.baseAddress else { return }
            lhs.storage.withUnsafeBufferPointer { a in
                rhs.storage.withUnsafeBufferPointer { b in
                    for index in 0..<batchCount {
                        var remainder = index, lhsOffset = 0, rhsOffset = 0
                        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                            let position = remainder % batch[axis]
                            remainder /= batch[axis]
                            lhsOffset += position * lhsStrides[axis]
                            rhsOffset += position * rhsStrides[axis]
                        }
                        let output = pc + index * m * n
                        guard let pa = a.baseAddress, let pb = b.baseAddress else {
                            output.initialize(repeating: 0, count: m * n)
                            continue
                        }
                        let left = pa + lhsOffset * lhsRows * lhsColumns, right = pb + rhsOffset * rhsRows * rhsColumns
                        if tiny {
                            for i in 0..<m {
                                for j in 0..<n {
                                    var sum: Float = 0
                                    for p in 0..<k {
                                        let x = transposingLeft ? left[p * lhsColumns + i] : left[i * lhsColumns + p]
                                        let y = transposingRight ? right[j * rhsColumns + p] : right[p * rhsColumns + j]
                                        sum += x * y
                                    }
                                    (output + i * n + j).initialize(to: sum)
                                }
                            }
                            continue
                        }
                        GEMM.multiply(
                            m: m, n: n, k: k,
                            a: MatrixOperand(rowMajor: left, columns: lhsColumns, transposed: transposingLeft),
                            b: MatrixOperand(rowMajor: right, columns: rhsColumns, transposed: transposingRight),
                            c: output, ldc: n, accumulate: false)
                    }
                }
            }
            initialized = batchCount * m * n
        }
        return Tensor(shape: batch + [m, n], storage: storage)
    }
}
