extension GEMM {
    /// Packs rows `rowStart..<rowStart+rowCount`, depth `depthStart..<depthStart+depth` of A
    /// into strips of `Microkernel.rows` rows: strip `s` holds `depth × 6` floats, row index
    /// fastest, zero-padded past `rowCount`.
    static func packA(
        _ a: MatrixOperand, rowStart: Int, rowCount: Int, depthStart: Int, depth: Int,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let width = Microkernel.rows
        var strip = 0
        while strip * width < rowCount {
            let firstRow = rowStart + strip * width
            let rowsHere = min(width, rowCount - strip * width)
            let out = destination + strip * depth * width
            if rowsHere < width {
                out.initialize(repeating: 0, count: depth * width)
            }
            if a.columnStride == 1 {
                for row in 0..<rowsHere {
                    let source = a.base + (firstRow + row) * a.rowStride + depthStart
                    for step in 0..<depth {
                        out[step * width + row] = source[step]
                    }
                }
            } else {
                for step in 0..<depth {
                    let source = a.base + (depthStart + step) * a.columnStride + firstRow * a.rowStride
                    for row in 0..<rowsHere {
                        out[step * width + row] = source[row * a.rowStride]
                    }
                }
            }
            strip += 1
        }
    }

    /// Packs strips `strips` (of `Microkernel.columns` columns each, counted from `columnStart`)
    /// of B's depth range `depthStart..<depthStart+depth` into `destination`: strip `t` holds
    /// `depth × 16` floats, column index fastest, zero-padded past `columnCount`.
    static func packB(
        _ b: MatrixOperand, depthStart: Int, depth: Int, columnStart: Int, columnCount: Int,
        strips: Range<Int>, into destination: UnsafeMutablePointer<Float>
    ) {
        let width = Microkernel.columns
        for strip in strips {
            let firstColumn = columnStart + strip * width
            let columnsHere = min(width, columnCount - strip * width)
            let out = destination + strip * depth * width
            if b.columnStride == 1 && columnsHere == width {
                for step in 0..<depth {
                    let source = UnsafeRawPointer(
                        b.base + (depthStart + step) * b.rowStride + firstColumn)
                    let target = UnsafeMutableRawPointer(out + step * width)
                    target.storeBytes(of: source.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    target.storeBytes(
                        of: source.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
                        toByteOffset: 32, as: SIMD8<Float>.self)
                }
                continue
            }
            if columnsHere < width {
                out.initialize(repeating: 0, count: depth * width)
            }
            if b.columnStride == 1 {
                for step in 0..<depth {
                    let source = b.base + (depthStart + step) * b.rowStride + firstColumn
                    for column in 0..<columnsHere {
                        out[step * width + column] = source[column]
                    }
                }
            } else {
                for column in 0..<columnsHere {
                    let source = b.base + (firstColumn + column) * b.columnStride + depthStart * b.rowStride
                    for step in 0..<depth {
                        out[step * width + column] = source[step * b.rowStride]
                    }
                }
            }
        }
    }
}
