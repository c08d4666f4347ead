extension GEMM {
    /// A right-hand operand packed once for many products that share it: an LSTM's recurrent
    /// weights, multiplied by each step's short hidden state (10 × 256 by 256 × 1024 for the
    /// Shakespeare model, 80 steps): packing them every step cost a 1 MB copy each time. Every
    /// depth slice (as ``GEMM/depthSlice(_:maximum:)`` cuts them) is stored whole, one after the
    /// other, in the strips the microkernel reads.
    final class PackedB: @unchecked Sendable {
        // @unchecked: written once in init, then only read.
        let k, n, depthSize: Int
        private let storage: UnsafeMutablePointer<Float>
        private var strips: Int { (n + Microkernel.columns - 1) / Microkernel.columns }

        /// `b` (k × n) packed.
        init(_ b: MatrixOperand, k: Int, n: Int) {
            (self.k, self.n) = (k, n)
            depthSize = GEMM.depthSlice(max(1, k), maximum: GEMM.depthBlock)
            let strips = (n + Microkernel.columns - 1) / Microkernel.columns
            storage = Scratch.allocate(floats: strips * Microkernel.columns * max(1, k))
            var depthStart = 0
            while depthStart < k {
                let depth = min(depthSize, k - depthStart)
                GEMM.packB(b, depthStart: depthStart, depth: depth, columnStart: 0, columnCount: n, strips: 0..<strips,
                           into: storage + depthStart * strips * Microkernel.columns)
                depthStart += depth
            }
        }

        deinit { storage.deallocate() }

        /// The packed slice starting at depth `depthStart`.
        func slice(at depthStart: Int) -> UnsafeMutablePointer<Float> {
            storage + depthStart * strips * Microkernel.columns
        }
    }

    /// `C = A · B`, or `C += A · B` when `accumulate`, for an `m × k` A and a `B` packed
    /// beforehand: the threads split B's column strips, each packing the short A for itself.
    /// Each element of C is summed in the same order whatever the thread count.
    static func multiply(
        m: Int, a: MatrixOperand, packed b: PackedB, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
        pool: ThreadPool = .current
    ) {
        let (n, k) = (b.n, b.k)
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate {
                for row in 0..<m { (c + row * ldc).initialize(repeating: 0, count: n) }
            }
            return
        }
        let workspace = Workspace.take(threads: pool.threadCount)
        defer { Workspace.give(workspace) }
        let columnStrips = (n + Microkernel.columns - 1) / Microkernel.columns
        let tasks = min(pool.threadCount, columnStrips)
        pool.parallelFor(tasks) { task, thread in
            multiply(m: m, a: a, packed: b, strips: evenSlice(of: columnStrips, part: task, of: tasks), c: c, ldc: ldc,
                     accumulate: accumulate, scratch: workspace.packedA(thread: thread))
        }
    }

    /// The columns of `C = A · B` (or `C += A · B`) in B's column strips `strips`, on the calling
    /// thread, packing A's rows in `scratch` (one thread's A block of a ``Workspace``): one
    /// task of the product above, or of a caller that splits the work itself.
    static func multiply(
        m: Int, a: MatrixOperand, packed b: PackedB, strips: Range<Int>, c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        var depthStart = 0
        while depthStart < b.k {
            let depth = min(b.depthSize, b.k - depthStart)
            var rowStart = 0
            while rowStart < m {
                let rowCount = min(rowBlock, m - rowStart)
                let block = ABlock(a, rowStart: rowStart, rowCount: rowCount, depthStart: depthStart, depth: depth, direct: false, scratch: scratch)
                macroKernel(block, columnCount: b.n, depth: depth, packedB: b.slice(at: depthStart), strips: strips,
                            c: c + rowStart * ldc, ldc: ldc, accumulate: accumulate || depthStart > 0, aStripOuter: false)
                rowStart += rowCount
            }
            depthStart += depth
        }
    }
}
