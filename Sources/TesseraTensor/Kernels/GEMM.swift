import Synchronization

/// Single-precision matrix multiply `C (+)= A · B` on packed panels.
///
/// The loop nest follows the BLIS design: for each `columnBlock` of C's columns and each
/// `depthBlock` slice of the shared dimension, B's panel is packed once into 16-column strips
/// (kept in L2/L3), then the rows of C are split into blocks; each block packs its rows of A into
/// 6-row strips (kept in L2) and runs the 6×16 microkernel over every tile, with one B strip
/// resident in L1 while the A strips stream past it. Rows blocks (or, for short matrices,
/// column ranges) are the parallel tasks.
///
/// Every element of C is summed in the same order whatever the thread count, so results are
/// bit-identical across thread counts and runs.
enum GEMM {
    /// Depth of a packed panel (KC): one 16-wide B strip of this depth is 24 KiB, three
    /// quarters of a 32 KiB L1. Deeper slices mean fewer passes over C and fewer barriers
    /// (sq2048 on 2 threads, alternated: 384 gave 203-207 GFLOP/s where 256 gave 195-203).
    static let depthBlock = 384
    /// Rows of A packed per task (MC): 144 × 384 floats is 216 KiB, well inside L2.
    static let rowBlock = 144
    /// Columns of B packed per panel (NC).
    static let columnBlock = 4096

    /// Column strips up to which a task reads A in place instead of packing it: with few B
    /// strips each A element is used too few times to repay a packing pass.
    static let directAStrips = 8

    /// Floats of packed B a narrow product (at most `directAStrips` strips) keeps in L2.
    static let narrowPanelFloats = 96 * 1024

    /// Computes `C = A · B`, or `C += A · B` when `accumulate`, for an `m × k` A, a `k × n` B and
    /// a row-major `m × n` C with row stride `ldc`.
    static func multiply(
        m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
        pool: ThreadPool = .current
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate {
                for row in 0..<m { (c + row * ldc).initialize(repeating: 0, count: n) }
            }
            return
        }
        if m <= transposeBelowRows && n >= 4 * transposeBelowRows && k >= 8 * m {
            multiplyTransposed(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, pool: pool)
            return
        }
        let workspace = Workspace.take(threads: pool.threadCount)
        defer { Workspace.give(workspace) }

        let threads = pool.threadCount
        let rowStrips = (m + Microkernel.rows - 1) / Microkernel.rows
        let columnStrips = (n + Microkernel.columns - 1) / Microkernel.columns
        // The depth slicing fixes the order in which each element of C is summed, so it
        // depends on the shape and layout only: never on the thread count or the parallel split.
        // A narrow product with a row-major A takes long slices so A streams in long runs.
        let longSlices = columnStrips <= directAStrips && a.columnStride == 1
        let maximumDepth = longSlices ? max(depthBlock, narrowPanelFloats / (columnStrips * Microkernel.columns)) : depthBlock
        let shape = Shape(m: m, n: n, k: k, depthSize: depthSlice(k, maximum: maximumDepth))
        // One row block: packing all of B per depth slice would cost more than every thread
        // packing the short A for itself.
        if threads > 1 && rowStrips <= rowBlock / Microkernel.rows && columnStrips >= threads {
            multiplySplittingColumns(shape, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate,
                                     workspace: workspace, pool: pool)
        } else {
            multiplySplittingRows(shape, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate,
                                  workspace: workspace, pool: pool)
        }
    }

    /// Products with at most this many rows (and at least four times as many columns) are
    /// computed transposed: `Cᵀ = Bᵀ·Aᵀ` is tall and narrow, so B is read in place instead of
    /// being packed for only a few rows of A (fully connected layers at small batch sizes).
    static let transposeBelowRows = 48

    private static func multiplyTransposed(
        m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, pool: ThreadPool
    ) {
        let transposed = Scratch.allocate(floats: n * m)
        defer { transposed.deallocate() }
        multiply(m: n, n: m, k: k, a: b.transposed, b: a.transposed, c: transposed, ldc: m,
                 accumulate: false, pool: pool)
        let tasks = min(pool.threadCount, m)
        pool.parallelFor(tasks) { task, _ in
            for row in evenSlice(of: m, part: task, of: tasks) {
                let target = c + row * ldc
                if accumulate {
                    for column in 0..<n { target[column] += transposed[column * m + row] }
                } else {
                    for column in 0..<n { target[column] = transposed[column * m + row] }
                }
            }
        }
    }

    /// Problem sizes and the depth of each packed slice.
    struct Shape {
        let m, n, k, depthSize: Int
    }

    /// Tall problems: B's panel is packed once per depth slice (in parallel), then threads take
    /// blocks of rows, as many blocks per thread each, and run them against the whole panel.
    private static func multiplySplittingRows(
        _ shape: Shape, a: MatrixOperand, b: MatrixOperand, c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, workspace: Workspace, pool: ThreadPool
    ) {
        let (m, n, k, threads) = (shape.m, shape.n, shape.k, pool.threadCount)
        let rowStrips = (m + Microkernel.rows - 1) / Microkernel.rows
        let stripsPerBlock = rowBlock / Microkernel.rows
        let rowBlocks = min(rowStrips, roundUp((rowStrips + stripsPerBlock - 1) / stripsPerBlock, to: threads))
        let packedB = workspace.packedB
        var columnStart = 0
        while columnStart < n {
            let columnCount = min(columnBlock, n - columnStart)
            let columnStrips = (columnCount + Microkernel.columns - 1) / Microkernel.columns
            // Narrow B (few strips): take the depth in long slices, so A is streamed once in
            // long runs, and keep each A strip in L1 across the B panel, which sits in L2.
            let narrow = columnStrips <= directAStrips
            // A whose rows are adjacent in memory (a transposed operand) is already laid out
            // like a packed strip, so it is read in place; a row-major A only when B is narrow.
            let directA = a.rowStride == 1 || (narrow && a.columnStride == 1)
            var depthStart = 0
            while depthStart < k {
                let depth = min(shape.depthSize, k - depthStart)
                let packTasks = columnCount * depth >= 1 << 15 ? min(threads, columnStrips) : 1
                pool.parallelFor(packTasks) { task, _ in
                    packB(b, depthStart: depthStart, depth: depth, columnStart: columnStart, columnCount: columnCount,
                          strips: evenSlice(of: columnStrips, part: task, of: packTasks), into: packedB)
                }
                let overwrite = !accumulate && depthStart == 0
                pool.parallelFor(rowBlocks) { task, thread in
                    let blockStrips = evenSlice(of: rowStrips, part: task, of: rowBlocks)
                    let rowStart = blockStrips.lowerBound * Microkernel.rows
                    let rowCount = min(m, blockStrips.upperBound * Microkernel.rows) - rowStart
                    let block = ABlock(
                        a, rowStart: rowStart, rowCount: rowCount, depthStart: depthStart, depth: depth,
                        direct: directA, scratch: workspace.packedA(thread: thread))
                    macroKernel(
                        block, columnCount: columnCount, depth: depth, packedB: packedB, strips: 0..<columnStrips,
                        c: c + rowStart * ldc + columnStart, ldc: ldc, accumulate: !overwrite, aStripOuter: narrow)
                }
                depthStart += depth
            }
            columnStart += columnCount
        }
    }

    /// Short, wide problems (at most one row block): each thread owns a range of C's columns
    /// and runs the whole depth over it, packing its own B strips as it goes, so one parallel
    /// loop covers the whole product. The short A is read in place (every thread would
    /// otherwise pack the same rows; measured on the FC shape 64×3136×512 with 2 threads:
    /// 124-141 → 142-161 GFLOP/s).
    private static func multiplySplittingColumns(
        _ shape: Shape, a: MatrixOperand, b: MatrixOperand, c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, workspace: Workspace, pool: ThreadPool
    ) {
        let (m, n, k, threads) = (shape.m, shape.n, shape.k, pool.threadCount)
        let columnStrips = (n + Microkernel.columns - 1) / Microkernel.columns
        let tasks = min(threads, columnStrips)
        // Each thread packs into its own share of the B panel buffer, in chunks of strips that fit.
        let regionFloats = Workspace.bPanelFloats(threads: threads) / threads
        let chunkStrips = max(1, regionFloats / (Microkernel.columns * shape.depthSize))
        pool.parallelFor(tasks) { task, thread in
            let strips = evenSlice(of: columnStrips, part: task, of: tasks)
            let region = workspace.packedB + thread * regionFloats
            var chunkStart = strips.lowerBound
            while chunkStart < strips.upperBound {
                let chunkEnd = min(strips.upperBound, chunkStart + chunkStrips)
                let columnStart = chunkStart * Microkernel.columns
                let columnCount = min(n, chunkEnd * Microkernel.columns) - columnStart
                let directA = a.rowStride == 1 || a.columnStride == 1
                var depthStart = 0
                while depthStart < k {
                    let depth = min(shape.depthSize, k - depthStart)
                    packB(b, depthStart: depthStart, depth: depth, columnStart: columnStart, columnCount: columnCount,
                          strips: 0..<(chunkEnd - chunkStart), into: region)
                    let block = ABlock(
                        a, rowStart: 0, rowCount: m, depthStart: depthStart, depth: depth,
                        direct: directA, scratch: workspace.packedA(thread: thread))
                    macroKernel(
                        block, columnCount: columnCount, depth: depth, packedB: region, strips: 0..<(chunkEnd - chunkStart),
                        c: c + columnStart, ldc: ldc, accumulate: accumulate || depthStart > 0, aStripOuter: false)
                    depthStart += depth
                }
                chunkStart = chunkEnd
            }
        }
    }

    /// The A rows of one task, packed into scratch or (`direct`) read in place with only a
    /// partial last strip packed, so the microkernel never reads past A's last row.
    struct ABlock {
        let rowCount: Int
        private let base: UnsafePointer<Float>
        private let rowStride, stepStride: Int
        private let lastStrip: UnsafePointer<Float>?

        init(_ a: MatrixOperand, rowStart: Int, rowCount: Int, depthStart: Int, depth: Int,
             direct: Bool, scratch: UnsafeMutablePointer<Float>) {
            self.rowCount = rowCount
            if direct {
                base = a.base + rowStart * a.rowStride + depthStart * a.columnStride
                (rowStride, stepStride) = (a.rowStride, a.columnStride)
                let fullRows = rowCount / Microkernel.rows * Microkernel.rows
                if fullRows < rowCount {
                    packA(a, rowStart: rowStart + fullRows, rowCount: rowCount - fullRows,
                          depthStart: depthStart, depth: depth, into: scratch)
                    lastStrip = UnsafePointer(scratch)
                } else {
                    lastStrip = nil
                }
            } else {
                packA(a, rowStart: rowStart, rowCount: rowCount, depthStart: depthStart, depth: depth, into: scratch)
                base = UnsafePointer(scratch)
                (rowStride, stepStride) = (1, Microkernel.rows)
                lastStrip = nil
            }
        }

        /// Pointer and strides (row, step) of strip `strip`.
        @inline(__always)
        func strip(_ strip: Int, depth: Int) -> (UnsafePointer<Float>, Int, Int) {
            let row = strip * Microkernel.rows
            if let lastStrip, row + Microkernel.rows > rowCount { return (lastStrip, 1, Microkernel.rows) }
            if stepStride == Microkernel.rows && rowStride == 1 && lastStrip == nil {
                return (base + strip * depth * Microkernel.rows, 1, Microkernel.rows)
            }
            return (base + row * rowStride, rowStride, stepStride)
        }
    }

    /// Runs the microkernel over every tile of one A block and the B strips `strips`: B strip
    /// outer (one B strip in L1 while the A strips stream from L2), or with `aStripOuter` the
    /// other way round (one A strip in L1 across a narrow B panel in L2).
    @inline(__always)
    static func macroKernel(
        _ block: ABlock, columnCount: Int, depth: Int, packedB: UnsafeMutablePointer<Float>,
        strips: Range<Int>, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, aStripOuter: Bool
    ) {
        let rowStrips = (block.rowCount + Microkernel.rows - 1) / Microkernel.rows
        @inline(__always)
        func tile(_ rowStrip: Int, _ strip: Int) {
            let row = rowStrip * Microkernel.rows
            let column = strip * Microkernel.columns
            let (aStrip, aRowStride, aStepStride) = block.strip(rowStrip, depth: depth)
            Microkernel.run(
                depth: depth, a: aStrip, aRowStride: aRowStride, aStepStride: aStepStride,
                b: packedB + strip * depth * Microkernel.columns,
                c: c + row * ldc + column, ldc: ldc,
                rows: min(Microkernel.rows, block.rowCount - row),
                columns: min(Microkernel.columns, columnCount - column),
                accumulate: accumulate)
        }
        if aStripOuter {
            for rowStrip in 0..<rowStrips {
                for strip in strips { tile(rowStrip, strip) }
            }
        } else {
            for strip in strips {
                for rowStrip in 0..<rowStrips { tile(rowStrip, strip) }
            }
        }
    }

    /// The slice length that splits `k` into the fewest equal slices of at most `maximum`.
    static func depthSlice(_ k: Int, maximum: Int) -> Int {
        let steps = (k + maximum - 1) / maximum
        return (k + steps - 1) / steps
    }

    /// Part `part` of `count` items split into `parts` nearly equal contiguous ranges.
    static func evenSlice(of count: Int, part: Int, of parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    static func roundUp(_ value: Int, to multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }
}

extension GEMM {
    /// Packing buffers for one GEMM call: one B panel and one A block per thread, 64-byte
    /// aligned. Reused across calls through a small free list, so a call allocates nothing
    /// once the process has warmed up.
    final class Workspace: @unchecked Sendable {
        // @unchecked: a workspace is owned by one GEMM call at a time (handed out by `free`).
        let threads: Int
        let packedB: UnsafeMutablePointer<Float>
        private let packedABase: UnsafeMutablePointer<Float>
        private static let aBlockFloats = GEMM.rowBlock * GEMM.depthBlock

        /// Packed-B capacity: a full panel, and at least one narrow panel per thread (the most
        /// a column-splitting task packs at once).
        static func bPanelFloats(threads: Int) -> Int {
            max(GEMM.columnBlock * GEMM.depthBlock, threads * GEMM.narrowPanelFloats)
        }

        /// Workspaces not in use.
        private static let free = Mutex<[Workspace]>([])

        private init(threads: Int) {
            self.threads = threads
            packedB = Scratch.allocate(floats: Self.bPanelFloats(threads: threads))
            packedABase = Scratch.allocate(floats: Self.aBlockFloats * threads)
        }

        deinit {
            packedB.deallocate()
            packedABase.deallocate()
        }

        func packedA(thread: Int) -> UnsafeMutablePointer<Float> {
            packedABase + thread * Self.aBlockFloats
        }

        static func take(threads: Int) -> Workspace {
            let reused = free.withLock { list -> Workspace? in
                guard let index = list.firstIndex(where: { $0.threads >= threads }) else { return nil }
                return list.remove(at: index)
            }
            return reused ?? Workspace(threads: threads)
        }

        static func give(_ workspace: Workspace) {
            free.withLock { list in
                if list.count < 4 { list.append(workspace) }
            }
        }

    }
}
