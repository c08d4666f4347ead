import CTesseraKernel

/// The register-tiled GEMM microkernel: a 6×16 tile of C held in twelve `SIMD8<Float>`
/// accumulators (AVX2 `ymm` registers with FMA on x86-64; two NEON quads each on arm64).
enum Microkernel {
    /// Rows of C per tile (the packed A strip width).
    static let rows = 6
    /// Columns of C per tile (the packed B strip width).
    static let columns = 16

    /// Computes a tile `C[0..<rows, 0..<columns] (+)= Apanel · Bpanel` over `depth` steps.
    ///
    /// - `a`: the A strip: element `(row, step)` at `a[row * aRowStride + step * aStepStride]`
    ///   (a packed strip has strides 1 and 6; an unpacked row-major one `lda` and 1).
    /// - `b`: packed B strip, `depth × 16` floats, column index fastest.
    /// - `c`: top-left of the tile in row-major C with row stride `ldc`.
    /// - `rows`, `columns`: how much of the 6×16 tile is inside C (edge tiles are computed in
    ///   full from zero-padded panels and stored partially).
    /// - `accumulate`: add to C instead of overwriting it.
    @inline(__always)
    static func run(
        depth: Int, a: UnsafePointer<Float>, aRowStride: Int, aStepStride: Int, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, accumulate: Bool
    ) {
        for row in 0..<rows {
            tessera_prefetch_for_write(c + row * ldc)
            tessera_prefetch_for_write(c + row * ldc + 15)
        }
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        @inline(__always)
        func step(_ pa: UnsafePointer<Float>, _ r: Int, _ pb: UnsafeRawPointer) {
            let b0 = pb.loadUnaligned(as: SIMD8<Float>.self)
            let b1 = pb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var av = SIMD8<Float>(repeating: pa[0])
            c00.addProduct(av, b0); c01.addProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[r])
            c10.addProduct(av, b0); c11.addProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[2 * r])
            c20.addProduct(av, b0); c21.addProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[3 * r])
            c30.addProduct(av, b0); c31.addProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[4 * r])
            c40.addProduct(av, b0); c41.addProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[5 * r])
            c50.addProduct(av, b0); c51.addProduct(av, b1)
        }
        var pb = UnsafeRawPointer(b)
        if aRowStride == 1 {
            // Packed (or column-major) strip: the six rows are adjacent; unrolled by two.
            var pa = a
            var remaining = depth
            while remaining >= 2 {
                step(pa, 1, pb)
                step(pa + aStepStride, 1, pb + 64)
                pa += 2 * aStepStride
                pb += 128
                remaining -= 2
            }
            if remaining == 1 { step(pa, 1, pb) }
        } else {
            var pa = a
            for _ in 0..<depth {
                step(pa, aRowStride, pb)
                pa += aStepStride
                pb += 64
            }
        }
        if rows == 6 && columns == 16 {
            store(c00, c01, to: c, accumulate: accumulate)
            store(c10, c11, to: c + ldc, accumulate: accumulate)
            store(c20, c21, to: c + 2 * ldc, accumulate: accumulate)
            store(c30, c31, to: c + 3 * ldc, accumulate: accumulate)
            store(c40, c41, to: c + 4 * ldc, accumulate: accumulate)
            store(c50, c51, to: c + 5 * ldc, accumulate: accumulate)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 96) { scratch in
            let tile = scratch.baseAddress!
            store(c00, c01, to: tile, accumulate: false)
            store(c10, c11, to: tile + 16, accumulate: false)
            store(c20, c21, to: tile + 32, accumulate: false)
            store(c30, c31, to: tile + 48, accumulate: false)
            store(c40, c41, to: tile + 64, accumulate: false)
            store(c50, c51, to: tile + 80, accumulate: false)
            for row in 0..<rows {
                let destination = c + row * ldc
                let source = tile + row * 16
                for column in 0..<columns {
                    destination[column] = accumulate
                        ? destination[column] + source[column] : source[column]
                }
            }
        }
    }

    @inline(__always)
    private static func store(
        _ low: SIMD8<Float>, _ high: SIMD8<Float>, to c: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        let raw = UnsafeMutableRawPointer(c)
        if accumulate {
            let l = raw.loadUnaligned(as: SIMD8<Float>.self) + low
            let h = raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) + high
            raw.storeBytes(of: l, as: SIMD8<Float>.self)
            raw.storeBytes(of: h, toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            raw.storeBytes(of: low, as: SIMD8<Float>.self)
            raw.storeBytes(of: high, toByteOffset: 32, as: SIMD8<Float>.self)
        }
    }
}
