extension WinogradConvolution {
    /// `dw = Σₙ conv2d_weight_grad(x[n], dy[n])`, as ``Convolution/backwardWeight``:
    /// `∂U[ξ] = Σ_tiles (A ∂Y Aᵀ)[ξ] ⊙ (Bᵀ d B)[ξ]`, then `dw = Gᵀ ∂U G`.
    ///
    /// The sum over tiles is a product per point ξ whose depth is the tiles of a band of images:
    /// `∂Uᵀ[ξ] (input × output channels) += V[ξ] · ∂M[ξ]ᵀ`. Here the `SIMD8` lanes are channels,
    /// not images, so the transforms write microkernel strips directly: input channels six to a
    /// vector (the A strips' six rows), output channels eight (half a 16-column B strip).
    /// Images are cut into a fixed number of consecutive groups summed in order, each into its
    /// own partial (the parallel tasks), and the partials are added in group order, so the result
    /// does not depend on the thread count.
    static func backwardWeight(
        _ gradient: UnsafePointer<Float>, input x: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, outputChannels: Int, geometry g: WindowGeometry,
        transform t: WinogradTransform
    ) {
        let p = Plan(t, batch: g.batch, inChannels: g.channels, outChannels: outputChannels,
                     height: g.height, width: g.width, padHeight: g.padHeight, padWidth: g.padWidth)
        let layout = WeightGradientLayout(p)
        let pool = ThreadPool.current
        let groups = max(1, min(g.batch, Convolution.weightGradientGroups))
        let partials = Scratch.allocate(floats: layout.partialFloats * groups)
        let scratch = Scratch.allocate(floats: layout.scratchFloats * pool.threadCount)
        defer {
            partials.deallocate()
            scratch.deallocate()
        }
        partials.initialize(repeating: 0, count: layout.partialFloats * groups)
        pool.parallelFor(groups) { group, thread in
            let images = GEMM.evenSlice(of: g.batch, part: group, of: groups)
            accumulate(p, layout, gradient: gradient, input: x, images: images,
                       into: partials + group * layout.partialFloats, scratch: scratch + thread * layout.scratchFloats)
        }
        for group in 1..<groups {
            Layout.add(partials + group * layout.partialFloats, into: partials, count: layout.partialFloats)
        }
        transformWeightGradient(p, layout, partials, into: weightGradient)
    }

    /// Sizes and strides of the weight-gradient buffers.
    struct WeightGradientLayout {
        /// Six-channel groups of the input (A strips) and eight-channel groups of the output.
        let inGroups, outGroups, outStrips: Int
        /// Images whose tiles form one band (the product's depth).
        let bandImages: Int
        /// Floats between two A strips (depth × 6, plus room for the last 8-float store), and
        /// between two points' A strips.
        let aStripStride, aPointStride: Int
        /// Floats between two B strips (depth × 16), and between two points' B strips.
        let bStripStride, bPointStride: Int
        let interleavedInputFloats, interleavedGradientFloats, aFloats, bFloats: Int
        /// Floats of one `∂Uᵀ` partial: α² × (input rows) × (output columns).
        let partialFloats: Int
        let scratchFloats: Int
        var ldc: Int { outStrips * 16 }
        var rows: Int { inGroups * Microkernel.rows }

        init(_ p: Plan) {
            inGroups = (p.inChannels + Microkernel.rows - 1) / Microkernel.rows
            outGroups = (p.outChannels + lanes - 1) / lanes
            outStrips = (outGroups + 1) / 2
            bandImages = max(1, min(p.batch, 64 / p.tiles))
            let depth = bandImages * p.tiles
            aStripStride = Scratch.lineRounded(depth * Microkernel.rows + lanes)
            aPointStride = Scratch.setSpread(inGroups * aStripStride)
            bStripStride = depth * 16
            bPointStride = Scratch.setSpread(outStrips * bStripStride)
            interleavedInputFloats = Scratch.lineRounded(inGroups * p.paddedHeight * p.paddedWidth * lanes)
            interleavedGradientFloats = Scratch.lineRounded(
                outGroups * p.tilesHigh * p.t.outputTile * p.tilesWide * p.t.outputTile * lanes)
            aFloats = p.points * aPointStride
            bFloats = p.points * bPointStride
            partialFloats = p.points * inGroups * Microkernel.rows * outStrips * 16
            scratchFloats = bandImages * (interleavedInputFloats + interleavedGradientFloats) + aFloats + bFloats
                + 2 * p.points * lanes
        }
    }

    /// Adds the tiles of `images` to one `∂Uᵀ` partial, a band of `bandImages` at a time.
    private static func accumulate(
        _ p: Plan, _ layout: WeightGradientLayout, gradient dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
        images: Range<Int>, into partial: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let t = p.t, m = t.outputTile
        let gradientHeight = p.tilesHigh * m, gradientWidth = p.tilesWide * m
        let inputs = scratch
        let gradients = inputs + layout.bandImages * layout.interleavedInputFloats
        let a = gradients + layout.bandImages * layout.interleavedGradientFloats
        let b = a + layout.aFloats
        let tile = UnsafeMutableRawPointer(b + layout.bFloats)
        let transformScratch = tile + p.points * 32
        b.initialize(repeating: 0, count: layout.bFloats)  // unused half strips stay zero
        let inputImage = p.inChannels * p.height * p.width, gradientImage = p.outChannels * p.outHeight * p.outWidth
        var bandStart = images.lowerBound
        while bandStart < images.upperBound {
            let bandCount = min(layout.bandImages, images.upperBound - bandStart)
            let depth = bandCount * p.tiles
            for image in 0..<bandCount {
                let source = bandStart + image
                interleaveChannels(x + source * inputImage, channels: p.inChannels, perVector: Microkernel.rows,
                                   height: p.height, width: p.width, top: p.padHeight, left: p.padWidth,
                                   paddedHeight: p.paddedHeight, paddedWidth: p.paddedWidth,
                                   into: inputs + image * layout.interleavedInputFloats)
                interleaveChannels(dy + source * gradientImage, channels: p.outChannels, perVector: lanes,
                                   height: p.outHeight, width: p.outWidth, top: 0, left: 0,
                                   paddedHeight: gradientHeight, paddedWidth: gradientWidth,
                                   into: gradients + image * layout.interleavedGradientFloats)
            }
            // V (six input channels per vector) into A strips, ∂M (eight output channels) into
            // B strips; depth index d = image · tiles + tile, written in increasing order so each
            // 8-float store's two extra floats are overwritten by the next.
            for image in 0..<bandCount {
                let interleavedInput = inputs + image * layout.interleavedInputFloats
                let interleavedGradient = gradients + image * layout.interleavedGradientFloats
                for tileIndex in 0..<p.tiles {
                    let d = image * p.tiles + tileIndex
                    let (th, tw) = tileIndex.quotientAndRemainder(dividingBy: p.tilesWide)
                    for group in 0..<layout.inGroups {
                        let source = interleavedInput + ((group * p.paddedHeight + th * m) * p.paddedWidth + tw * m) * lanes
                        let pointStride = layout.aPointStride / lanes
                        t.transformInput(
                            from: UnsafeRawPointer(source), rowStride: p.paddedWidth, columnStride: 1,
                            to: UnsafeMutableRawPointer(a + group * layout.aStripStride + d * Microkernel.rows),
                            rowStride: t.inputTile * pointStride, columnStride: pointStride, scratch: transformScratch)
                    }
                    for group in 0..<layout.outGroups {
                        let source = interleavedGradient + ((group * gradientHeight + th * m) * gradientWidth + tw * m) * lanes
                        let pointStride = layout.bPointStride / lanes
                        t.transformOutputAdjoint(
                            from: UnsafeRawPointer(source), rowStride: gradientWidth, columnStride: 1,
                            to: UnsafeMutableRawPointer(b + (group / 2) * layout.bStripStride + d * 16 + (group % 2) * lanes),
                            rowStride: t.inputTile * pointStride, columnStride: pointStride, scratch: transformScratch)
                    }
                }
            }
            for point in 0..<p.points {
                for outStrip in 0..<layout.outStrips {
                    let bStrip = b + point * layout.bPointStride + outStrip * layout.bStripStride
                    for inGroup in 0..<layout.inGroups {
                        Microkernel.run(
                            depth: depth, a: a + point * layout.aPointStride + inGroup * layout.aStripStride,
                            aRowStride: 1, aStepStride: Microkernel.rows, b: bStrip,
                            c: partial + (point * layout.rows + inGroup * Microkernel.rows) * layout.ldc + outStrip * 16,
                            ldc: layout.ldc, rows: Microkernel.rows, columns: 16, accumulate: true)
                    }
                }
            }
            bandStart += bandCount
        }
    }

    /// `dw[o][c] = Gᵀ ∂U[o][c] G` from the summed `∂Uᵀ`, eight output channels per vector.
    private static func transformWeightGradient(
        _ p: Plan, _ layout: WeightGradientLayout, _ summed: UnsafePointer<Float>,
        into dw: UnsafeMutablePointer<Float>
    ) {
        let t = p.t, r = t.kernel, taps = r * r
        let work = Scratch.allocate(floats: (taps + t.inputTile * r) * lanes)
        defer { work.deallocate() }
        let result = UnsafeMutableRawPointer(work), transformScratch = result + taps * 32
        let pointStride = layout.rows * layout.ldc
        for c in 0..<p.inChannels {
            for o0 in stride(from: 0, to: p.outChannels, by: lanes) {
                WinogradTransform.sandwich(
                    t.weightAdjoint, rows: r, columns: t.inputTile,
                    from: UnsafeRawPointer(summed + c * layout.ldc + o0), rowStride: t.inputTile * pointStride / lanes,
                    columnStride: pointStride / lanes,
                    to: result, rowStride: r, columnStride: 1, scratch: transformScratch)
                for k in 0..<taps {
                    let value = result.loadUnaligned(fromByteOffset: k * 32, as: SIMD8<Float>.self)
                    for lane in 0..<min(lanes, p.outChannels - o0) {
                        dw[((o0 + lane) * p.inChannels + c) * taps + k] = value[lane]
                    }
                }
            }
        }
    }

    /// Copies one NCHW image into `buffer` as `⌈channels / perVector⌉ × paddedHeight ×
    /// paddedWidth` vectors of eight lanes, channel c in lane `c % perVector` of group
    /// `c / perVector`, offset by `top` rows and `left` columns; everything else is zero.
    static func interleaveChannels(
        _ x: UnsafePointer<Float>, channels: Int, perVector: Int, height: Int, width: Int,
        top: Int, left: Int, paddedHeight: Int, paddedWidth: Int, into buffer: UnsafeMutablePointer<Float>
    ) {
        let groups = (channels + perVector - 1) / perVector
        buffer.initialize(repeating: 0, count: groups * paddedHeight * paddedWidth * lanes)
        for c in 0..<channels {
            let (group, lane) = c.quotientAndRemainder(dividingBy: perVector)
            for h in 0..<height {
                let source = x + (c * height + h) * width
                let target = buffer + ((group * paddedHeight + h + top) * paddedWidth + left) * lanes + lane
                for w in 0..<width { target[w * lanes] = source[w] }
            }
        }
    }
}
