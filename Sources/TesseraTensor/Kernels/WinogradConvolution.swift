/// Stride-1 convolutions on Winograd tiles (see ``WinogradTransform``): 6.25× (5×5 kernels) or
/// 4× (3×3) fewer multiplications than the im2col GEMM, which pays once both channel counts
/// are large enough to amortize the transforms.
///
/// Images are taken eight at a time, one per `SIMD8` lane, so every transform is plain vector
/// arithmetic. For each Winograd point ξ (α² of them) the transformed tiles are multiplied by
/// the transformed weights on the GEMM microkernel: `M[ξ] = U[ξ] · V[ξ]`, with `U[ξ]`
/// (output channels × input channels) packed once per call as A strips and `V[ξ]` (input
/// channels × tile lanes) written by the input transform straight into packed B strips. Tiles
/// are processed in bands small enough for `V` and `M` to stay in L2.
///
/// Lane groups are the parallel tasks. Every output is computed in an order fixed by the shape,
/// so results do not depend on the thread count.
enum WinogradConvolution {
    /// Input and output channels from which the Winograd path is taken: below, the transforms
    /// cost more than the multiplications they save.
    static let minimumChannels = 16
    /// Images per lane group.
    static let lanes = 8
    /// Bytes of transformed tiles (`V` and `M`) one band may hold.
    static let bandBytes = 512 * 1024

    /// The transform for this convolution, or nil when it has no Winograd path (strided,
    /// dilated, non-square or unsupported kernels, padding of a whole kernel, few channels).
    static func transform(for g: WindowGeometry, outputChannels: Int) -> WinogradTransform? {
        guard g.strideHeight == 1, g.strideWidth == 1, g.dilationHeight == 1, g.dilationWidth == 1,
              g.kernelHeight == g.kernelWidth, g.padHeight < g.kernelHeight, g.padWidth < g.kernelWidth,
              g.channels >= minimumChannels, outputChannels >= minimumChannels
        else { return nil }
        return WinogradTransform.forKernel(g.kernelHeight)
    }

    /// `y = conv2d(x, w) + bias`, as ``Convolution/forward``.
    static func forward(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, outputChannels: Int, geometry g: WindowGeometry,
        transform t: WinogradTransform
    ) {
        let plan = Plan(t, batch: g.batch, inChannels: g.channels, outChannels: outputChannels,
                        height: g.height, width: g.width, padHeight: g.padHeight, padWidth: g.padWidth)
        let packed = packWeights(weight, plan)
        defer { packed.deallocate() }
        run(plan, input: x, packedWeights: packed, bias: bias, output: output)
    }

    /// `dx = conv2dᵀ(dy, w)`, as ``Convolution/backwardInput``: for stride 1 this is a forward
    /// convolution of `dy` with the kernel flipped and its channel axes swapped, padded by
    /// `r − 1 − padding`.
    static func backwardInput(
        _ gradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>, outputChannels: Int, geometry g: WindowGeometry,
        transform t: WinogradTransform
    ) {
        let r = t.kernel, taps = r * r
        let flipped = Scratch.allocate(floats: outputChannels * g.channels * taps)
        defer { flipped.deallocate() }
        for o in 0..<outputChannels {
            for c in 0..<g.channels {
                let source = weight + (o * g.channels + c) * taps
                let target = flipped + (c * outputChannels + o) * taps
                for k in 0..<taps { target[k] = source[taps - 1 - k] }
            }
        }
        let plan = Plan(t, batch: g.batch, inChannels: outputChannels, outChannels: g.channels,
                        height: g.outputHeight, width: g.outputWidth,
                        padHeight: r - 1 - g.padHeight, padWidth: r - 1 - g.padWidth)
        let packed = packWeights(flipped, plan)
        defer { packed.deallocate() }
        run(plan, input: gradient, packedWeights: packed, bias: nil, output: inputGradient)
    }

    /// One stride-1 convolution's sizes, tiling and buffer layout.
    struct Plan {
        let t: WinogradTransform
        let batch, inChannels, outChannels, height, width, padHeight, padWidth: Int
        let outHeight, outWidth, tilesHigh, tilesWide: Int
        /// Height and width of the zero-padded input that whole tiles read.
        let paddedHeight, paddedWidth: Int
        /// Output-channel strips of the microkernel's six rows.
        let outStrips: Int
        /// Tiles per band (even, so tile lanes fill whole 16-column strips).
        let bandTiles: Int

        init(_ t: WinogradTransform, batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
             padHeight: Int, padWidth: Int) {
            self.t = t
            (self.batch, self.inChannels, self.outChannels) = (batch, inChannels, outChannels)
            (self.height, self.width, self.padHeight, self.padWidth) = (height, width, padHeight, padWidth)
            let m = t.outputTile, r = t.kernel
            outHeight = height + 2 * padHeight - r + 1
            outWidth = width + 2 * padWidth - r + 1
            tilesHigh = (outHeight + m - 1) / m
            tilesWide = (outWidth + m - 1) / m
            paddedHeight = tilesHigh * m + r - 1
            paddedWidth = tilesWide * m + r - 1
            outStrips = (outChannels + Microkernel.rows - 1) / Microkernel.rows
            let bytesPerTile = t.inputTile * t.inputTile * lanes * (inChannels + outStrips * Microkernel.rows) * 4
            let tiles = tilesHigh * tilesWide
            bandTiles = max(2, min(bandBytes / bytesPerTile, tiles + 1) / 2 * 2)
        }

        var points: Int { t.inputTile * t.inputTile }
        var tiles: Int { tilesHigh * tilesWide }
        /// Columns (tile lanes) of one band.
        var bandColumns: Int { bandTiles * lanes }
        /// Floats between `V[ξ]` and `V[ξ+1]` for one band (16-column strips × input channels).
        var transformedInputStride: Int { Scratch.setSpread(bandColumns * inChannels) }
        /// Floats between `M[ξ]` and `M[ξ+1]` for one band (padded output rows × band columns).
        var productStride: Int { Scratch.setSpread(outStrips * Microkernel.rows * bandColumns) }
        /// Floats of one lane group's zero-padded, interleaved input.
        var interleavedFloats: Int { inChannels * paddedHeight * paddedWidth * lanes }
    }

    /// `U[ξ] = G w Gᵀ` for every output/input channel pair, packed as microkernel A strips:
    /// `packed[((ξ · outStrips + o / 6) · C + c) · 6 + o % 6]`, zero in the padding rows.
    /// Input channels are transformed eight at a time, one per lane. Free with `deallocate()`.
    static func packWeights(_ w: UnsafePointer<Float>, _ p: Plan) -> UnsafeMutablePointer<Float> {
        let t = p.t, r = t.kernel, alpha = t.inputTile, taps = r * r
        let count = p.points * p.outStrips * p.inChannels * Microkernel.rows
        let packed = Scratch.allocate(floats: count)
        packed.initialize(repeating: 0, count: count)
        let work = Scratch.allocate(floats: (taps + 2 * alpha * alpha) * lanes)
        defer { work.deallocate() }
        let taps8 = UnsafeMutableRawPointer(work)
        let transformed = taps8 + taps * 32, scratch = transformed + alpha * alpha * 32
        for o in 0..<p.outChannels {
            for c0 in stride(from: 0, to: p.inChannels, by: lanes) {
                let used = min(lanes, p.inChannels - c0)
                for k in 0..<taps {
                    var v = SIMD8<Float>()
                    for lane in 0..<used { v[lane] = w[(o * p.inChannels + c0 + lane) * taps + k] }
                    taps8.storeBytes(of: v, toByteOffset: k * 32, as: SIMD8<Float>.self)
                }
                WinogradTransform.sandwich(
                    t.weight, rows: alpha, columns: r, from: taps8, rowStride: r, columnStride: 1,
                    to: transformed, rowStride: alpha, columnStride: 1, scratch: scratch)
                for point in 0..<p.points {
                    let v = transformed.loadUnaligned(fromByteOffset: point * 32, as: SIMD8<Float>.self)
                    let row = packed + ((point * p.outStrips + o / Microkernel.rows) * p.inChannels + c0) * Microkernel.rows
                        + o % Microkernel.rows
                    for lane in 0..<used { row[lane * Microkernel.rows] = v[lane] }
                }
            }
        }
        return packed
    }

    /// The forward pass on packed weights: lane groups in parallel, bands of tiles in turn.
    private static func run(
        _ p: Plan, input x: UnsafePointer<Float>, packedWeights u: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>
    ) {
        let t = p.t, m = t.outputTile, alpha = t.inputTile
        let interleavedFloats = Scratch.lineRounded(p.interleavedFloats)
        let vFloats = p.points * p.transformedInputStride
        let mFloats = p.points * p.productStride
        let perThread = interleavedFloats + vFloats + mFloats + 2 * alpha * alpha * lanes
        let pool = ThreadPool.current
        let scratch = Scratch.allocate(floats: perThread * pool.threadCount)
        defer { scratch.deallocate() }
        let groups = (p.batch + lanes - 1) / lanes
        let outputPlane = p.outHeight * p.outWidth
        let inputImage = p.inChannels * p.height * p.width
        pool.parallelFor(groups) { group, thread in
            let interleaved = scratch + thread * perThread
            let v = interleaved + interleavedFloats
            let products = v + vFloats
            let tile = UnsafeMutableRawPointer(products + mFloats)
            let sandwichScratch = tile + alpha * alpha * 32
            let first = group * lanes, used = min(lanes, p.batch - first)
            interleave(x + first * inputImage, images: used, channels: p.inChannels, height: p.height, width: p.width,
                       top: p.padHeight, left: p.padWidth, paddedHeight: p.paddedHeight, paddedWidth: p.paddedWidth,
                       into: interleaved)
            var bandStart = 0
            while bandStart < p.tiles {
                let bandCount = min(p.bandTiles, p.tiles - bandStart)
                let strips = (bandCount + 1) / 2
                // V[ξ] = Bᵀ d B for every input channel and tile of the band, as B strips.
                let vPoint = p.transformedInputStride
                for j in 0..<(strips * 2) {
                    let lanesAt = v + (j / 2) * p.inChannels * 16 + (j % 2) * lanes
                    guard j < bandCount else {
                        for point in 0..<p.points {
                            for c in 0..<p.inChannels {
                                (lanesAt + point * vPoint + c * 16).initialize(repeating: 0, count: lanes)
                            }
                        }
                        continue
                    }
                    let (th, tw) = (bandStart + j).quotientAndRemainder(dividingBy: p.tilesWide)
                    for c in 0..<p.inChannels {
                        let source = interleaved + ((c * p.paddedHeight + th * m) * p.paddedWidth + tw * m) * lanes
                        t.transformInput(
                            from: UnsafeRawPointer(source), rowStride: p.paddedWidth, columnStride: 1,
                            to: UnsafeMutableRawPointer(lanesAt + c * 16), rowStride: alpha * vPoint / lanes,
                            columnStride: vPoint / lanes, scratch: sandwichScratch)
                    }
                }
                // M[ξ] = U[ξ] · V[ξ] on the microkernel, full tiles only (the buffers are padded).
                let ldc = p.bandColumns
                for point in 0..<p.points {
                    for strip in 0..<strips {
                        let b = v + point * vPoint + strip * p.inChannels * 16
                        for outStrip in 0..<p.outStrips {
                            Microkernel.run(
                                depth: p.inChannels,
                                a: u + (point * p.outStrips + outStrip) * p.inChannels * Microkernel.rows,
                                aRowStride: 1, aStepStride: Microkernel.rows, b: b,
                                c: products + point * p.productStride + outStrip * Microkernel.rows * ldc + strip * 16,
                                ldc: ldc, rows: Microkernel.rows, columns: 16, accumulate: false)
                        }
                    }
                }
                // Y = Aᵀ M A, plus bias, scattered back to each image's output plane.
                for o in 0..<p.outChannels {
                    let offset = bias?[o] ?? 0
                    for j in 0..<bandCount {
                        let (th, tw) = (bandStart + j).quotientAndRemainder(dividingBy: p.tilesWide)
                        t.transformOutput(
                            from: UnsafeRawPointer(products + o * ldc + j * lanes),
                            rowStride: alpha * p.productStride / lanes, columnStride: p.productStride / lanes,
                            to: tile, rowStride: m, columnStride: 1, scratch: sandwichScratch)
                        for i in 0..<min(m, p.outHeight - th * m) {
                            for k in 0..<min(m, p.outWidth - tw * m) {
                                let value = tile.loadUnaligned(fromByteOffset: (i * m + k) * 32, as: SIMD8<Float>.self)
                                let target = y + (first * p.outChannels + o) * outputPlane + (th * m + i) * p.outWidth + tw * m + k
                                for lane in 0..<used { target[lane * p.outChannels * outputPlane] = value[lane] + offset }
                            }
                        }
                    }
                }
                bandStart += bandCount
            }
        }
    }

    /// Copies `images` consecutive NCHW images into `buffer` as `channels × paddedHeight ×
    /// paddedWidth` vectors of eight lanes (image k in lane k), offset by `top` rows and `left`
    /// columns; everything else (padding, unused lanes) is zero.
    static func interleave(
        _ x: UnsafePointer<Float>, images: Int, channels: Int, height: Int, width: Int,
        top: Int, left: Int, paddedHeight: Int, paddedWidth: Int, into buffer: UnsafeMutablePointer<Float>
    ) {
        buffer.initialize(repeating: 0, count: channels * paddedHeight * paddedWidth * lanes)
        for image in 0..<images {
            for c in 0..<channels {
                for h in 0..<height {
                    let source = x + ((image * channels + c) * height + h) * width
                    let target = buffer + ((c * paddedHeight + h + top) * paddedWidth + left) * lanes + image
                    for w in 0..<width { target[w * lanes] = source[w] }
                }
            }
        }
    }
}
