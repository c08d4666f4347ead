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
    /// Depth of a packed panel (KC): one 16-wide B strip of this depth is 16 KiB, half of L1.
    static let depthBlock = 256
    /// Rows of A packed per task (MC): 144 × 256 floats is 144 KiB, well inside L2.
    static let rowBlock = 144
    /// Columns of B packed per panel (NC).
    static let columnBlock = 4096

    /// Column strips up to which a task reads A in place instead of packing it: with few B
    /// strips each A element is used too few times to repay a packing pass.
    static let directAStrips = 8

    /// Computes `C = A · B`, or `C += A · B` when `accumulate`, for an `m × k` A, a `k × n` B and
    /// a row-major `m × n` C with row stride `ldc`.
    static func multiply(
        m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
        pool: ThreadPool = .shared
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate {
                for row in 0..<m { (c + row * ldc).initialize(repeating: 0, count: n) }
            }
            return
        }
        let workspace = Workspace.take(threads: pool.threadCount)
        defer { Workspace.give(workspace) }

        let threads = pool.threadCount
        let rowStrips = (m + Microkernel.rows - 1) / Microkernel.rows
        let stripsPerBlock = rowBlock / Microkernel.rows
        // Split rows across threads when there are enough of them, in a multiple of `threads`
        // equal blocks; otherwise split columns.
        let splitRows = threads == 1 || rowStrips >= 4 * threads
        var rowBlocks = (rowStrips + stripsPerBlock - 1) / stripsPerBlock
        if splitRows { rowBlocks = min(rowStrips, roundUp(rowBlocks, to: threads)) }
        let depthSteps = (k + depthBlock - 1) / depthBlock
        let depthSize = (k + depthSteps - 1) / depthSteps

        var columnStart = 0
        while columnStart < n {
            let columnCount = min(columnBlock, n - columnStart)
            let columnStrips = (columnCount + Microkernel.columns - 1) / Microkernel.columns
            let columnSplits = splitRows ? 1 : min(threads, columnStrips)
            // With one row block per column range, each task packs the B strips it uses.
            let packBInTasks = !splitRows && rowBlocks == 1
            let stripsPerTask = (columnStrips + columnSplits - 1) / columnSplits
            let directA = stripsPerTask <= directAStrips && (a.columnStride == 1 || a.rowStride == 1)
            var depthStart = 0
            while depthStart < k {
                let depth = min(depthSize, k - depthStart)
                let packedB = workspace.packedB
                if !packBInTasks {
                    let packTasks = columnCount * depth >= 1 << 15 ? min(threads, columnStrips) : 1
                    pool.parallelFor(packTasks) { task, _ in
                        packB(b, depthStart: depthStart, depth: depth, columnStart: columnStart, columnCount: columnCount,
                              strips: evenSlice(of: columnStrips, part: task, of: packTasks), into: packedB)
                    }
                }
                let overwrite = !accumulate && depthStart == 0
                pool.parallelFor(rowBlocks * columnSplits) { task, thread in
                    let blockStrips = evenSlice(of: rowStrips, part: task / columnSplits, of: rowBlocks)
                    let strips = evenSlice(of: columnStrips, part: task % columnSplits, of: columnSplits)
                    if packBInTasks {
                        packB(b, depthStart: depthStart, depth: depth, columnStart: columnStart,
                              columnCount: columnCount, strips: strips, into: packedB)
                    }
                    let rowStart = blockStrips.lowerBound * Microkernel.rows
                    let rowCount = min(m, blockStrips.upperBound * Microkernel.rows) - rowStart
                    let block = ABlock(
                        a, rowStart: rowStart, rowCount: rowCount, depthStart: depthStart, depth: depth,
                        direct: directA, scratch: workspace.packedA(thread: thread))
                    macroKernel(
                        block, columnCount: columnCount, depth: depth, packedB: packedB, strips: strips,
                        c: c + rowStart * ldc + columnStart, ldc: ldc, accumulate: !overwrite)
                }
                depthStart += depth
            }
            columnStart += columnCount
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

    /// Runs the microkernel over every tile of one A block and the B strips `strips`.
    @inline(__always)
    private static func macroKernel(
        _ block: ABlock, columnCount: Int, depth: Int, packedB: UnsafeMutablePointer<Float>,
        strips: Range<Int>, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        let rowStrips = (block.rowCount + Microkernel.rows - 1) / Microkernel.rows
        for strip in strips {
            let column = strip * Microkernel.columns
            let columnsHere = min(Microkernel.columns, columnCount - column)
            let bStrip = packedB + strip * depth * Microkernel.columns
            for rowStrip in 0..<rowStrips {
                let row = rowStrip * Microkernel.rows
                let (aStrip, aRowStride, aStepStride) = block.strip(rowStrip, depth: depth)
                Microkernel.run(
                    depth: depth, a: aStrip, aRowStride: aRowStride, aStepStride: aStepStride, b: bStrip,
                    c: c + row * ldc + column, ldc: ldc,
                    rows: min(Microkernel.rows, block.rowCount - row), columns: columnsHere,
                    accumulate: accumulate)
            }
        }
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
        private static let bPanelFloats = GEMM.columnBlock * GEMM.depthBlock

        /// Workspaces not in use.
        private static let free = Mutex<[Workspace]>([])

        private init(threads: Int) {
            self.threads = threads
            packedB = Self.allocate(Self.bPanelFloats)
            packedABase = Self.allocate(Self.aBlockFloats * threads)
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

        private static func allocate(_ floats: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: floats)
        }
    }
}
