/// A read-only strided view of a matrix in memory: element `(i, j)` is
/// `base[i * rowStride + j * columnStride]`. Transposing swaps the strides, so GEMM handles
/// transposed inputs in packing without copying them first. One of the two strides is always
/// 1 (GEMM's in-place A path and its scratch sizes rely on it).
struct MatrixOperand {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let columnStride: Int

    /// A row-major `rows × columns` matrix (`transposed` reads it as its transpose).
    init(rowMajor base: UnsafePointer<Float>, columns: Int, transposed: Bool = false) {
        self.base = base
        if transposed {
            rowStride = 1
            columnStride = columns
        } else {
            rowStride = columns
            columnStride = 1
        }
    }

    /// The same matrix read as its transpose.
    var transposed: MatrixOperand {
        MatrixOperand(base: base, rowStride: columnStride, columnStride: rowStride)
    }

    private init(base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }
}
