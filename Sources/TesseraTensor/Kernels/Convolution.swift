/// Convolution kernels on the GEMM: each image is lowered to columns (im2col, CKK × OHW with
/// CKK = channels × kernel taps) in per-thread scratch that stays in L2, and multiplied by the
/// weight matrix (O × CKK). Images are the parallel tasks (each GEMM single-threaded); with
/// fewer images than threads the GEMM itself is threaded. Each output element is summed in a
/// fixed order, so results do not depend on the thread count.
///
/// Stride-1 3×3 and 5×5 convolutions with enough channels take the Winograd path instead
/// (``WinogradConvolution``); `winograd: false` forces im2col (tests compare the two).
enum Convolution {
    /// `y[n] = w · im2col(x[n]) + bias` for every image; `y` is N × O × OH × OW, written in
    /// place (each image's rows start as the bias and the product is added).
    static func forward(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, outputChannels: Int, geometry g: WindowGeometry,
        winograd: Bool = true
    ) {
        if winograd, let t = WinogradConvolution.transform(for: g, outputChannels: outputChannels) {
            WinogradConvolution.forward(x, weight: weight, bias: bias, output: output,
                                        outputChannels: outputChannels, geometry: g, transform: t)
            return
        }
        let depth = g.channels * g.taps
        forEachImage(g, scratchFloats: depth * g.outputPlane) { image, columns, pool in
            im2col(x + image * g.channels * g.inputPlane, rows: 0..<depth, geometry: g, into: columns)
            let y = output + image * outputChannels * g.outputPlane
            for channel in 0..<outputChannels {
                (y + channel * g.outputPlane).initialize(repeating: bias?[channel] ?? 0, count: g.outputPlane)
            }
            GEMM.multiply(
                m: outputChannels, n: g.outputPlane, k: depth,
                a: MatrixOperand(rowMajor: weight, columns: depth),
                b: MatrixOperand(rowMajor: columns, columns: g.outputPlane),
                c: y, ldc: g.outputPlane, accumulate: true, pool: pool)
        }
    }

    /// `dx[n] = col2im(wᵀ · dy[n])`; `dx` is N × C × H × W.
    static func backwardInput(
        _ gradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>, outputChannels: Int, geometry g: WindowGeometry,
        winograd: Bool = true
    ) {
        if winograd, let t = WinogradConvolution.transform(for: g, outputChannels: outputChannels) {
            WinogradConvolution.backwardInput(gradient, weight: weight, inputGradient: inputGradient,
                                              outputChannels: outputChannels, geometry: g, transform: t)
            return
        }
        let depth = g.channels * g.taps
        forEachImage(g, scratchFloats: depth * g.outputPlane) { image, scratch, pool in
            GEMM.multiply(
                m: depth, n: g.outputPlane, k: outputChannels,
                a: MatrixOperand(rowMajor: weight, columns: depth, transposed: true),
                b: MatrixOperand(rowMajor: gradient + image * outputChannels * g.outputPlane, columns: g.outputPlane),
                c: scratch, ldc: g.outputPlane, accumulate: false, pool: pool)
            col2im(scratch, geometry: g, into: inputGradient + image * g.channels * g.inputPlane)
        }
    }

    /// Images per partial sum in the weight gradient; a fixed count (not the thread count) so
    /// the summation order, and so the result, is the same for any number of threads.
    static let weightGradientGroups = 8

    /// `dw = Σₙ dy[n] · im2col(x[n])ᵀ`; `dw` is O × CKK. Computed as
    /// `dwᵀ = Σₙ im2col(x[n]) · dy[n]ᵀ` (a tall product with a narrow right side, which the GEMM
    /// streams best). Images are cut into a fixed number of consecutive groups, each summed in
    /// order into its own partial (the parallel tasks); the partials are then added in group
    /// order and transposed.
    static func backwardWeight(
        _ gradient: UnsafePointer<Float>, input x: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, outputChannels: Int, geometry g: WindowGeometry,
        winograd: Bool = true
    ) {
        if winograd, let t = WinogradConvolution.transform(for: g, outputChannels: outputChannels) {
            WinogradConvolution.backwardWeight(gradient, input: x, weightGradient: weightGradient,
                                               outputChannels: outputChannels, geometry: g, transform: t)
            return
        }
        let depth = g.channels * g.taps
        let pool = ThreadPool.current
        let groups = max(1, min(g.batch, weightGradientGroups))
        let partialFloats = Scratch.lineRounded(depth * outputChannels)
        let columnsFloats = Scratch.lineRounded(depth * g.outputPlane)
        let partials = Scratch.allocate(floats: partialFloats * groups)
        let scratch = Scratch.allocate(floats: columnsFloats * pool.threadCount)
        defer {
            partials.deallocate()
            scratch.deallocate()
        }
        partials.initialize(repeating: 0, count: partialFloats * groups)
        pool.parallelFor(groups) { group, thread in
            let columns = scratch + thread * columnsFloats
            for image in GEMM.evenSlice(of: g.batch, part: group, of: groups) {
                im2col(x + image * g.channels * g.inputPlane, rows: 0..<depth, geometry: g, into: columns)
                GEMM.multiply(
                    m: depth, n: outputChannels, k: g.outputPlane,
                    a: MatrixOperand(rowMajor: columns, columns: g.outputPlane),
                    b: MatrixOperand(rowMajor: gradient + image * outputChannels * g.outputPlane,
                                     columns: g.outputPlane, transposed: true),
                    c: partials + group * partialFloats, ldc: outputChannels, accumulate: true, pool: .serial)
            }
        }
        for group in 1..<groups {
            Layout.add(partials + group * partialFloats, into: partials, count: partialFloats)
        }
        Layout.transpose(partials, rows: depth, columns: outputChannels, into: weightGradient, adding: nil)
    }

    /// Runs `body(image, scratch, gemmPool)` for every image with `scratchFloats` of per-thread
    /// scratch: images in parallel with serial GEMMs, or (fewer images than threads) images in
    /// turn with threaded GEMMs.
    private static func forEachImage(
        _ g: WindowGeometry, scratchFloats: Int,
        _ body: (Int, UnsafeMutablePointer<Float>, ThreadPool) -> Void
    ) {
        let pool = ThreadPool.current
        let stride = Scratch.lineRounded(scratchFloats)
        let scratch = Scratch.allocate(floats: stride * pool.threadCount)
        defer { scratch.deallocate() }
        if g.batch < pool.threadCount {
            for image in 0..<g.batch { body(image, scratch, pool) }
        } else {
            pool.parallelFor(g.batch) { image, thread in
                body(image, scratch + thread * stride, .serial)
            }
        }
    }

    /// Writes rows `rows` of one image's column matrix (row `(c, kh, kw)`, column `(oh, ow)`)
    /// to `columns`, zero where the window hangs over the padding.
    static func im2col(
        _ image: UnsafePointer<Float>, rows: Range<Int>, geometry g: WindowGeometry,
        into columns: UnsafeMutablePointer<Float>
    ) {
        for row in rows {
            let channel = row / g.taps
            let kh = (row % g.taps) / g.kernelWidth, kw = row % g.kernelWidth
            let plane = image + channel * g.inputPlane
            let (first, last) = validColumns(kw: kw, g)
            var out = columns + (row - rows.lowerBound) * g.outputPlane
            for oh in 0..<g.outputHeight {
                let ih = oh * g.strideHeight - g.padHeight + kh * g.dilationHeight
                if ih < 0 || ih >= g.height || first >= last {
                    out.initialize(repeating: 0, count: g.outputWidth)
                } else {
                    let source = plane + ih * g.width - g.padWidth + kw * g.dilationWidth
                    if first > 0 { out.initialize(repeating: 0, count: first) }
                    if g.strideWidth == 1 {
                        Layout.copy(source + first, into: out + first, count: last - first)
                    } else {
                        for ow in first..<last { out[ow] = source[ow * g.strideWidth] }
                    }
                    if last < g.outputWidth { (out + last).initialize(repeating: 0, count: g.outputWidth - last) }
                }
                out += g.outputWidth
            }
        }
    }

    /// Adds one image's column-matrix gradient back onto its input positions (zeroing first).
    static func col2im(
        _ columns: UnsafePointer<Float>, geometry g: WindowGeometry, into image: UnsafeMutablePointer<Float>
    ) {
        image.initialize(repeating: 0, count: g.channels * g.inputPlane)
        for row in 0..<(g.channels * g.taps) {
            let channel = row / g.taps
            let kh = (row % g.taps) / g.kernelWidth, kw = row % g.kernelWidth
            let plane = image + channel * g.inputPlane
            let (first, last) = validColumns(kw: kw, g)
            guard first < last else { continue }
            var source = columns + row * g.outputPlane
            for oh in 0..<g.outputHeight {
                let ih = oh * g.strideHeight - g.padHeight + kh * g.dilationHeight
                if ih >= 0 && ih < g.height {
                    let target = plane + ih * g.width - g.padWidth + kw * g.dilationWidth
                    if g.strideWidth == 1 {
                        Layout.add(source + first, into: target + first, count: last - first)
                    } else {
                        for ow in first..<last { target[ow * g.strideWidth] += source[ow] }
                    }
                }
                source += g.outputWidth
            }
        }
    }

    /// Output columns `first..<last` whose tap `kw` lands inside the input row.
    @inline(__always)
    private static func validColumns(kw: Int, _ g: WindowGeometry) -> (Int, Int) {
        let offset = kw * g.dilationWidth - g.padWidth  // iw = ow * stride + offset
        let first = offset >= 0 ? 0 : (-offset + g.strideWidth - 1) / g.strideWidth
        let last = min(g.outputWidth, offset >= g.width ? 0 : (g.width - offset + g.strideWidth - 1) / g.strideWidth)
        return (min(first, g.outputWidth), max(last, 0))
    }
}
