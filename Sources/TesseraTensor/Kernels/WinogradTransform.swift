/// The matrices of a Winograd minimal-filtering algorithm F(m×m, r×r): an m×m output tile of a
/// stride-1 correlation with an r×r kernel is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for an α×α input
/// tile `d` (α = m + r − 1), which takes α² multiplications instead of m²r².
///
/// The matrices come from the Cook–Toom construction on the points 0, ±1, ±2 (and ∞), chosen
/// for small, exactly representable coefficients; both supported sizes have α = 6 and share
/// the input transform `Bᵀ`, which is written out by hand (it runs for every tile and channel)
/// as is `Aᵀ` for m = 2 and 4. `G` is built from the points. Tests check that the matrices
/// compute the correlation exactly.
final class WinogradTransform: @unchecked Sendable {
    // @unchecked: every stored pointer is written once in `init` and only read afterwards.

    /// Output tile size m.
    let outputTile: Int
    /// Kernel size r.
    let kernel: Int
    /// Input tile size α = m + r − 1.
    let inputTile: Int

    /// `Bᵀ`, α × α (input transform: `V = Bᵀ d B`).
    let input: UnsafeMutablePointer<Float>
    /// `Aᵀ`, m × α (output transform: `Y = Aᵀ M A`).
    let output: UnsafeMutablePointer<Float>
    /// `A`, α × m (the output transform's adjoint: `∂M = A ∂Y Aᵀ`).
    let outputAdjoint: UnsafeMutablePointer<Float>
    /// `G`, α × r (weight transform: `U = G g Gᵀ`).
    let weight: UnsafeMutablePointer<Float>
    /// `Gᵀ`, r × α (the weight transform's adjoint: `∂g = Gᵀ ∂U G`).
    let weightAdjoint: UnsafeMutablePointer<Float>

    /// F(2×2, 5×5): the 5×5 convolutions of the FedAvg CNN; 36 multiplications per 4 outputs
    /// instead of 100.
    static let f2x5 = WinogradTransform(outputTile: 2, kernel: 5)
    /// F(4×4, 3×3): 36 multiplications per 16 outputs instead of 144.
    static let f4x3 = WinogradTransform(outputTile: 4, kernel: 3)

    /// The transform for an r×r kernel, if there is one.
    static func forKernel(_ r: Int) -> WinogradTransform? {
        switch r {
        case 3: f4x3
        case 5: f2x5
        default: nil
        }
    }

    private init(outputTile m: Int, kernel r: Int) {
        let alpha = m + r - 1
        precondition(alpha == 6, "the hand-written transforms are for α = 6")
        (outputTile, kernel, inputTile) = (m, r, alpha)
        let points: [Double] = Array([0, 1, -1, 2, -2, 0.5, -0.5][..<(alpha - 1)])
        let finite = alpha - 1
        // Aᵀ[i][j] = p_j^i; the point at infinity contributes only to the last output.
        var at = [Double](repeating: 0, count: m * alpha)
        for i in 0..<m {
            for j in 0..<finite { at[i * alpha + j] = Self.power(points[j], i) }
            at[i * alpha + finite] = i == m - 1 ? 1 : 0
        }
        // G[j][k] = p_j^k / Π_{l≠j}(p_j − p_l); the infinity row picks the last tap.
        var g = [Double](repeating: 0, count: alpha * r)
        for j in 0..<finite {
            var scale = 1.0
            for l in 0..<finite where l != j { scale *= points[j] - points[l] }
            for k in 0..<r { g[j * r + k] = Self.power(points[j], k) / scale }
        }
        g[finite * r + r - 1] = 1
        func store(_ values: [Double], transposedFrom rows: Int? = nil) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
            if let rows {
                let columns = values.count / rows
                for i in 0..<rows {
                    for j in 0..<columns { pointer[j * rows + i] = Float(values[i * columns + j]) }
                }
            } else {
                for (index, value) in values.enumerated() { pointer[index] = Float(value) }
            }
            return pointer
        }
        input = store(Self.inputTransform)
        output = store(at)
        outputAdjoint = store(at, transposedFrom: m)
        weight = store(g)
        weightAdjoint = store(g, transposedFrom: alpha)
    }

    deinit {
        for pointer in [input, output, outputAdjoint, weight, weightAdjoint] { pointer.deallocate() }
    }

    private static func power(_ base: Double, _ exponent: Int) -> Double {
        (0..<exponent).reduce(1) { product, _ in product * base }
    }

    /// `Bᵀ` for the points 0, ±1, ±2, ∞ (α = 6), row-major; ``transformInput`` is this matrix.
    static let inputTransform: [Double] = [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ]

    /// `Y = L · X · Lᵀ` on tiles of `SIMD8` lanes (eight independent tiles at once), for a
    /// `p × q` matrix `L`: `X` is q × q vectors, read at vector offset `row * xRow + column *
    /// xColumn` from `x`; `Y` is p × p, written likewise to `y`. `scratch` holds p·q vectors.
    /// Zero coefficients are skipped, which is most of them for these points.
    @inline(__always)
    static func sandwich(
        _ l: UnsafePointer<Float>, rows p: Int, columns q: Int,
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        let vector = MemoryLayout<SIMD8<Float>>.stride
        for i in 0..<p {
            for column in 0..<q {
                var sum = SIMD8<Float>()
                for k in 0..<q {
                    let w = l[i * q + k]
                    if w != 0 {
                        let value = x.loadUnaligned(fromByteOffset: (k * xRow + column * xColumn) * vector, as: SIMD8<Float>.self)
                        sum.addProduct(SIMD8(repeating: w), value)
                    }
                }
                t.storeBytes(of: sum, toByteOffset: (i * q + column) * vector, as: SIMD8<Float>.self)
            }
        }
        for i in 0..<p {
            for j in 0..<p {
                var sum = SIMD8<Float>()
                for k in 0..<q {
                    let w = l[j * q + k]
                    if w != 0 {
                        let value = t.loadUnaligned(fromByteOffset: (i * q + k) * vector, as: SIMD8<Float>.self)
                        sum.addProduct(SIMD8(repeating: w), value)
                    }
                }
                y.storeBytes(of: sum, toByteOffset: (i * yRow + j * yColumn) * vector, as: SIMD8<Float>.self)
            }
        }
    }

    /// `V = Bᵀ X B` for a 6 × 6 tile of vectors (strides as in ``sandwich``), in 2 × 6
    /// one-dimensional passes of 12 operations each.
    @inline(__always)
    static func transformInput(
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        for i in 0..<6 {
            inputRow(x, offset: i * xRow, stride: xColumn, t, offset: i * 6, stride: 1)
        }
        for j in 0..<6 {
            inputRow(UnsafeRawPointer(t), offset: j, stride: 6, y, offset: j * yColumn, stride: yRow)
        }
    }

    /// One row of ``transformInput``: six vectors at `offset + k * stride` (in vectors) to six.
    @inline(__always)
    private static func inputRow(
        _ x: UnsafeRawPointer, offset xOffset: Int, stride xStride: Int,
        _ y: UnsafeMutableRawPointer, offset yOffset: Int, stride yStride: Int
    ) {
        let v = MemoryLayout<SIMD8<Float>>.stride
        @inline(__always) func d(_ k: Int) -> SIMD8<Float> {
            x.loadUnaligned(fromByteOffset: (xOffset + k * xStride) * v, as: SIMD8<Float>.self)
        }
        @inline(__always) func put(_ k: Int, _ value: SIMD8<Float>) {
            y.storeBytes(of: value, toByteOffset: (yOffset + k * yStride) * v, as: SIMD8<Float>.self)
        }
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5)
        let four = SIMD8<Float>(repeating: 4), five = SIMD8<Float>(repeating: 5), two = SIMD8<Float>(repeating: 2)
        put(0, d4 - five * d2 + four * d0)
        let sum12 = d1 + d2, sum34 = d3 + d4
        put(1, sum34 - four * sum12)
        let diff12 = d1 - d2, diff43 = d4 - d3
        put(2, diff43 + four * diff12)
        let diff31 = d3 - d1, diff42 = d4 - d2
        put(3, diff42 + two * diff31)
        put(4, diff42 - two * diff31)
        put(5, d5 - five * d3 + four * d1)
    }

    /// `Y = Aᵀ M A` for a 6 × 6 tile of vectors to an m × m one (strides as in ``sandwich``).
    @inline(__always)
    func transformOutput(
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        let m = outputTile
        for i in 0..<6 {
            Self.outputRow(m, x, offset: i * xRow, stride: xColumn, t, offset: i * m, stride: 1)
        }
        for j in 0..<m {
            Self.outputRow(m, UnsafeRawPointer(t), offset: j, stride: m, y, offset: j * yColumn, stride: yRow)
        }
    }

    /// One row of ``transformOutput``: six vectors to m (2 or 4), the rows of `Aᵀ` written out.
    @inline(__always)
    private static func outputRow(
        _ m: Int, _ x: UnsafeRawPointer, offset xOffset: Int, stride xStride: Int,
        _ y: UnsafeMutableRawPointer, offset yOffset: Int, stride yStride: Int
    ) {
        let v = MemoryLayout<SIMD8<Float>>.stride
        @inline(__always) func d(_ k: Int) -> SIMD8<Float> {
            x.loadUnaligned(fromByteOffset: (xOffset + k * xStride) * v, as: SIMD8<Float>.self)
        }
        @inline(__always) func put(_ k: Int, _ value: SIMD8<Float>) {
            y.storeBytes(of: value, toByteOffset: (yOffset + k * yStride) * v, as: SIMD8<Float>.self)
        }
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5)
        let sum12 = d1 + d2, diff12 = d1 - d2, sum34 = d3 + d4, diff34 = d3 - d4
        let two = SIMD8<Float>(repeating: 2)
        put(0, d0 + sum12 + sum34)
        if m == 2 {
            put(1, diff12 + two * diff34 + d5)
        } else {
            put(1, diff12 + two * diff34)
            put(2, sum12 + SIMD8(repeating: 4) * sum34)
            put(3, diff12 + SIMD8(repeating: 8) * diff34 + d5)
        }
    }
}

extension WinogradTransform {
    /// `∂M = A ∂Y Aᵀ` for an m × m tile of vectors to a 6 × 6 one (strides as in ``sandwich``):
    /// the adjoint of ``transformOutput``, for the weight gradient.
    @inline(__always)
    func transformOutputAdjoint(
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        let m = outputTile
        for i in 0..<m {
            Self.outputAdjointRow(m, x, offset: i * xRow, stride: xColumn, t, offset: i * 6, stride: 1)
        }
        for j in 0..<6 {
            Self.outputAdjointRow(m, UnsafeRawPointer(t), offset: j, stride: 6, y, offset: j * yColumn, stride: yRow)
        }
    }

    /// One row of ``transformOutputAdjoint``: m vectors (2 or 4) to six, the columns of `Aᵀ`.
    @inline(__always)
    private static func outputAdjointRow(
        _ m: Int, _ x: UnsafeRawPointer, offset xOffset: Int, stride xStride: Int,
        _ y: UnsafeMutableRawPointer, offset yOffset: Int, stride yStride: Int
    ) {
        let v = MemoryLayout<SIMD8<Float>>.stride
        @inline(__always) func d(_ k: Int) -> SIMD8<Float> {
            x.loadUnaligned(fromByteOffset: (xOffset + k * xStride) * v, as: SIMD8<Float>.self)
        }
        @inline(__always) func put(_ k: Int, _ value: SIMD8<Float>) {
            y.storeBytes(of: value, toByteOffset: (yOffset + k * yStride) * v, as: SIMD8<Float>.self)
        }
        let two = SIMD8<Float>(repeating: 2)
        if m == 2 {
            let y0 = d(0), y1 = d(1)
            put(0, y0)
            put(1, y0 + y1)
            put(2, y0 - y1)
            put(3, y0 + two * y1)
            put(4, y0 - two * y1)
            put(5, y1)
        } else {
            let y0 = d(0), y1 = d(1), y2 = d(2), y3 = d(3)
            let even = y0 + y2, odd = y1 + y3
            let evenScaled = y0 + SIMD8(repeating: 4) * y2, oddScaled = two * y1 + SIMD8(repeating: 8) * y3
            put(0, y0)
            put(1, even + odd)
            put(2, even - odd)
            put(3, evenScaled + oddScaled)
            put(4, evenScaled - oddScaled)
            put(5, y3)
        }
    }
}
