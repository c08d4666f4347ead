/// The matrices of a Winograd minimal-filtering algorithm F(m×m, r×r): an m×m output tile of a
/// stride-1 correlation with an r×r kernel is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for an α×α input
/// tile `d` (α = m + r − 1), which takes α² multiplications instead of m²r².
///
/// The matrices come from the Cook–Toom construction on the points 0, ±1, ±2, ±½ (and ∞), the
/// first α − 1 of them, chosen for small, exactly representable coefficients. `Aᵀ` and `G` are
/// built from the points; `Bᵀ` depends only on α and is written out, as are the one-dimensional
/// transforms that run for every tile (`WinogradTransform+Rows.swift`), for α = 6 and 8.
/// Tests check that the matrices compute the correlation exactly.
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

    /// F(4×4, 5×5): the 5×5 convolutions of the FedAvg CNN; 64 multiplications per 16 outputs
    /// instead of 400.
    static let f4x5 = WinogradTransform(outputTile: 4, kernel: 5)
    /// F(4×4, 3×3): 36 multiplications per 16 outputs instead of 144.
    static let f4x3 = WinogradTransform(outputTile: 4, kernel: 3)

    /// The transform for an r×r kernel, if there is one.
    static func forKernel(_ r: Int) -> WinogradTransform? {
        switch r {
        case 3: f4x3
        case 5: f4x5
        default: nil
        }
    }

    private init(outputTile m: Int, kernel r: Int) {
        let alpha = m + r - 1
        precondition(m == 4 && (alpha == 6 || alpha == 8), "the written-out transforms are for F(4, 3) and F(4, 5)")
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
        input = store(alpha == 6 ? Self.inputTransform6 : Self.inputTransform8)
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

    /// `Bᵀ` for the points 0, ±1, ±2, ∞ (α = 6), row-major; ``transformInput`` computes it.
    static let inputTransform6: [Double] = [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ]

    /// `Bᵀ` for the points 0, ±1, ±2, ±½, ∞ (α = 8), row-major; ``transformInput`` computes it.
    static let inputTransform8: [Double] = [
        -1, 0, 5.25, 0, -5.25, 0, 1, 0,
        0, 1, 1, -4.25, -4.25, 1, 1, 0,
        0, -1, 1, 4.25, -4.25, -1, 1, 0,
        0, 0.5, 0.25, -2.5, -1.25, 2, 1, 0,
        0, -0.5, 0.25, 2.5, -1.25, -2, 1, 0,
        0, 2, 4, -2.5, -5, 0.5, 1, 0,
        0, -2, 4, 2.5, -5, -0.5, 1, 0,
        0, -1, 0, 5.25, 0, -5.25, 0, 1,
    ]

    /// `Y = L · X · Lᵀ` on tiles of `SIMD8` lanes (eight independent tiles at once), for a
    /// `p × q` matrix `L`: `X` is q × q vectors, read at vector offset `row * xRow + column *
    /// xColumn` from `x`; `Y` is p × p, written likewise to `y`. `scratch` holds p·q vectors.
    /// Zero coefficients are skipped. For the weight transforms, once per call; the per-tile
    /// transforms are written out (`WinogradTransform+Rows.swift`).
    @inline(__always)
    static func sandwich(
        _ l: UnsafePointer<Float>, rows p: Int, columns q: Int,
        from x: UnsafeRawPointer, rowStride xRow: Int, columnStride xColumn: Int,
        to y: UnsafeMutableRawPointer, rowStride yRow: Int, columnStride yColumn: Int,
        scratch t: UnsafeMutableRawPointer
    ) {
        separable(rows: q, outputs: p, from: x, rowStride: xRow, columnStride: xColumn,
                  to: y, rowStride: yRow, columnStride: yColumn, scratch: t) { denseRow(l, p, q, $0, $1) }
    }
}
