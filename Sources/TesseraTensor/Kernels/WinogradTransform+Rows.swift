// The per-tile transforms, written out: they run for every tile and channel, and a generic
// matrix product (even skipping zeros) costs three times as much. Each two-dimensional
// transform is one-dimensional passes over rows, then over columns. Strides count vectors.

extension WinogradTransform {
    /// `V = Bᵀ X B` for an α × α tile of vectors.
    @inline(__always)
    func transformInput(
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        let alpha = inputTile
        Self.separable(rows: alpha, outputs: alpha, from: x, rowStride: xRow, columnStride: xColumn,
                       to: y, rowStride: yRow, columnStride: yColumn, scratch: t) { Self.inputRow(alpha, $0, $1) }
    }

    /// `Y = Aᵀ M A` for an α × α tile of vectors to an m × m one.
    @inline(__always)
    func transformOutput(
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        let alpha = inputTile
        Self.separable(rows: alpha, outputs: outputTile, from: x, rowStride: xRow, columnStride: xColumn,
                       to: y, rowStride: yRow, columnStride: yColumn, scratch: t) { Self.outputRow(alpha, $0, $1) }
    }

    /// `∂M = A ∂Y Aᵀ` for an m × m tile of vectors to an α × α one: the adjoint of
    /// ``transformOutput``, for the weight gradient.
    @inline(__always)
    func transformOutputAdjoint(
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        let alpha = inputTile
        Self.separable(rows: outputTile, outputs: alpha, from: x, rowStride: xRow, columnStride: xColumn,
                       to: y, rowStride: yRow, columnStride: yColumn, scratch: t) { Self.outputAdjointRow(alpha, $0, $1) }
    }

    /// A separable two-dimensional transform: `row` (p vectors in, q out) along each of the p
    /// rows of `x` into `scratch` (p × q), then along each of its q columns into `y` (q × q).
    @inline(__always)
    static func separable(
        rows p: Int, outputs q: Int,
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer,
        _ row: (Row<UnsafeRawPointer>, Row<UnsafeMutableRawPointer>) -> Void
    ) {
        for i in 0..<p { row(Row(x, i * xRow, xColumn), Row(t, i * q, 1)) }
        for j in 0..<q { row(Row(UnsafeRawPointer(t), j, q), Row(y, j * yColumn, yRow)) }
    }

    /// Vectors `k` of a strided row, at vector offset `offset + k * stride` from `base`.
    struct Row<Pointer> {
        let base: Pointer
        let offset, stride: Int
        init(_ base: Pointer, _ offset: Int, _ stride: Int) {
            (self.base, self.offset, self.stride) = (base, offset, stride)
        }
    }

    @inline(__always)
    private static func load(_ row: Row<UnsafeRawPointer>, _ k: Int) -> SIMD8<Float> {
        row.base.loadUnaligned(fromByteOffset: (row.offset + k * row.stride) * 32, as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func load(_ row: Row<UnsafeMutableRawPointer>, _ k: Int) -> SIMD8<Float> {
        row.base.loadUnaligned(fromByteOffset: (row.offset + k * row.stride) * 32, as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD8<Float>, _ row: Row<UnsafeMutableRawPointer>, _ k: Int) {
        row.base.storeBytes(of: value, toByteOffset: (row.offset + k * row.stride) * 32, as: SIMD8<Float>.self)
    }

    /// `y_i = Σ_k L[i][k] x_k` for a dense `p × q` matrix `L` (row-major), skipping zeros.
    @inline(__always)
    static func denseRow(
        _ l: UnsafePointer<Float>, _ p: Int, _ q: Int, _ x: Row<UnsafeRawPointer>, _ y: Row<UnsafeMutableRawPointer>
    ) {
        for i in 0..<p {
            var sum = SIMD8<Float>()
            for k in 0..<q {
                let w = l[i * q + k]
                if w != 0 { sum.addProduct(SIMD8(repeating: w), load(x, k)) }
            }
            store(sum, y, i)
        }
    }

    @inline(__always)
    private static func inputRow(_ alpha: Int, _ x: Row<UnsafeRawPointer>, _ y: Row<UnsafeMutableRawPointer>) {
        @inline(__always) func d(_ k: Int) -> SIMD8<Float> { load(x, k) }
        @inline(__always) func s(_ value: Float) -> SIMD8<Float> { SIMD8(repeating: value) }
        if alpha == 6 {
            let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5)
            store(d4 - s(5) * d2 + s(4) * d0, y, 0)
            let sum12 = d1 + d2, sum34 = d3 + d4
            store(sum34 - s(4) * sum12, y, 1)
            let diff12 = d1 - d2, diff43 = d4 - d3
            store(diff43 + s(4) * diff12, y, 2)
            let diff31 = d3 - d1, diff42 = d4 - d2
            store(diff42 + s(2) * diff31, y, 3)
            store(diff42 - s(2) * diff31, y, 4)
            store(d5 - s(5) * d3 + s(4) * d1, y, 5)
        } else {
            let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5), d6 = d(6), d7 = d(7)
            store(d6 - d0 + s(5.25) * (d2 - d4), y, 0)
            let a = d2 + d6 - s(4.25) * d4, b = d1 + d5 - s(4.25) * d3
            store(a + b, y, 1)
            store(a - b, y, 2)
            let c = s(0.25) * d2 - s(1.25) * d4 + d6, e = s(0.5) * d1 - s(2.5) * d3 + s(2) * d5
            store(c + e, y, 3)
            store(c - e, y, 4)
            let f = s(4) * d2 - s(5) * d4 + d6, h = s(2) * d1 - s(2.5) * d3 + s(0.5) * d5
            store(f + h, y, 5)
            store(f - h, y, 6)
            store(d7 - d1 + s(5.25) * (d3 - d5), y, 7)
        }
    }

    /// The rows of `Aᵀ` (m × α, m = 4) applied to α vectors: `y_i = Σ_j p_j^i d_j` (+ `d_∞` for
    /// the last).
    @inline(__always)
    private static func outputRow(_ alpha: Int, _ x: Row<UnsafeRawPointer>, _ y: Row<UnsafeMutableRawPointer>) {
        @inline(__always) func d(_ k: Int) -> SIMD8<Float> { load(x, k) }
        @inline(__always) func s(_ value: Float) -> SIMD8<Float> { SIMD8(repeating: value) }
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5)
        let sum12 = d1 + d2, diff12 = d1 - d2, sum34 = d3 + d4, diff34 = d3 - d4
        if alpha == 6 {
            store(d0 + sum12 + sum34, y, 0)
            store(diff12 + s(2) * diff34, y, 1)
            store(sum12 + s(4) * sum34, y, 2)
            store(diff12 + s(8) * diff34 + d5, y, 3)
        } else {
            let d6 = d(6), d7 = d(7)
            let sum56 = d5 + d6, diff56 = d5 - d6
            store(d0 + sum12 + sum34 + sum56, y, 0)
            store(diff12 + s(2) * diff34 + s(0.5) * diff56, y, 1)
            store(sum12 + s(4) * sum34 + s(0.25) * sum56, y, 2)
            store(diff12 + s(8) * diff34 + s(0.125) * diff56 + d7, y, 3)
        }
    }

    /// The columns of `Aᵀ` (m = 4) applied to m vectors: `z_j = Σ_i p_j^i y_i` (`z_∞ = y₃`).
    @inline(__always)
    private static func outputAdjointRow(
        _ alpha: Int, _ x: Row<UnsafeRawPointer>, _ y: Row<UnsafeMutableRawPointer>
    ) {
        @inline(__always) func d(_ k: Int) -> SIMD8<Float> { load(x, k) }
        @inline(__always) func s(_ value: Float) -> SIMD8<Float> { SIMD8(repeating: value) }
        let y0 = d(0), y1 = d(1), y2 = d(2), y3 = d(3)
        let even = y0 + y2, odd = y1 + y3
        let evenScaled = y0 + s(4) * y2, oddScaled = s(2) * y1 + s(8) * y3
        store(y0, y, 0)
        store(even + odd, y, 1)
        store(even - odd, y, 2)
        store(evenScaled + oddScaled, y, 3)
        store(evenScaled - oddScaled, y, 4)
        if alpha == 6 {
            store(y3, y, 5)
        } else {
            let evenSmall = y0 + s(0.25) * y2, oddSmall = s(0.5) * y1 + s(0.125) * y3
            store(evenSmall + oddSmall, y, 5)
            store(evenSmall - oddSmall, y, 6)
            store(y3, y, 7)
        }
    }
}
