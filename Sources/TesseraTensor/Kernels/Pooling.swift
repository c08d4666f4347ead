/// Max and average pooling over NCHW planes; planes are the parallel tasks.
enum Pooling {
    /// Max over each window (padding never wins) and the index in the plane of the first
    /// maximum, which the backward pass routes the gradient to. A window entirely in padding
    /// yields -infinity and index -1.
    static func maxForward(
        _ x: UnsafePointer<Float>, geometry g: WindowGeometry,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>
    ) {
        if g.padHeight == 0 && g.padWidth == 0 && g.dilationHeight == 1 && g.dilationWidth == 1 {
            maxForwardUnpadded(x, geometry: g, values: values, indices: indices)
            return
        }
        forPlanes(g) { plane in
            let source = x + plane * g.inputPlane
            var out = plane * g.outputPlane
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    var best = -Float.infinity
                    var bestIndex: Int32 = -1
                    forWindow(oh, ow, g) { index in
                        let value = source[index]
                        if value > best || bestIndex < 0 || value.isNaN && !best.isNaN {
                            best = value
                            bestIndex = Int32(index)
                        }
                    }
                    values[out] = best
                    indices[out] = bestIndex
                    out += 1
                }
            }
        }
    }

    /// `maxForward` for windows that never touch padding: no bounds checks and no branches per
    /// tap (a data-dependent branch mispredicts half the time on real activations); the common
    /// 2×2, stride-2 window does eight outputs per step.
    private static func maxForwardUnpadded(
        _ x: UnsafePointer<Float>, geometry g: WindowGeometry,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>
    ) {
        let pairs = g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
        forPlanes(g) { plane in
            let source = x + plane * g.inputPlane
            var out = plane * g.outputPlane
            for oh in 0..<g.outputHeight {
                var ow = 0
                if pairs && g.outputWidth >= 4 {
                    // Blocks of eight (four on narrow planes); the last block overlaps the one
                    // before instead of leaving a scalar tail (outputs are simply written twice).
                    let block = g.outputWidth >= 8 ? 8 : 4
                    let rowStart = out
                    while ow < g.outputWidth {
                        let start = min(ow, g.outputWidth - block)
                        if block == 8 {
                            maxOfPairs(source, row: 2 * oh, column: 2 * start, width: g.width,
                                       values: values + rowStart + start, indices: indices + rowStart + start)
                        } else {
                            maxOfFourPairs(source, row: 2 * oh, column: 2 * start, width: g.width,
                                           values: values + rowStart + start, indices: indices + rowStart + start)
                        }
                        ow = start + block
                    }
                    out = rowStart + g.outputWidth
                }
                while ow < g.outputWidth {
                    let corner = oh * g.strideHeight * g.width + ow * g.strideWidth
                    var best = source[corner]
                    var bestIndex = corner
                    for kh in 0..<g.kernelHeight {
                        let row = corner + kh * g.width
                        for kw in 0..<g.kernelWidth {
                            let value = source[row + kw]
                            // NaN wins, as in PyTorch; otherwise the first maximum.
                            let takes = value > best || value != value
                            best = takes ? value : best
                            bestIndex = takes ? row + kw : bestIndex
                        }
                    }
                    values[out] = best
                    indices[out] = Int32(bestIndex)
                    ow += 1
                    out += 1
                }
            }
        }
    }

    /// Eight 2×2 windows side by side, starting at input (`row`, `column`): the even and odd
    /// lanes of two 16-wide loads are the four taps.
    @inline(__always)
    private static func maxOfPairs(
        _ source: UnsafePointer<Float>, row: Int, column: Int, width: Int,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>
    ) {
        let top = UnsafeRawPointer(source + row * width + column).loadUnaligned(as: SIMD16<Float>.self)
        let bottom = UnsafeRawPointer(source + (row + 1) * width + column).loadUnaligned(as: SIMD16<Float>.self)
        // Plane indices of the top-left taps. A float comparison's mask is an Int32 mask, so
        // the same mask selects values and indices.
        let topLeft = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14) &+ Int32(row * width + column)
        var best = top.evenHalf
        var index = topLeft
        @inline(__always)
        func consider(_ candidate: SIMD8<Float>, offset: Int32) {
            let takes = (candidate .> best) .| (candidate .!= candidate)
            best.replace(with: candidate, where: takes)
            index.replace(with: topLeft &+ offset, where: takes)
        }
        consider(top.oddHalf, offset: 1)
        consider(bottom.evenHalf, offset: Int32(width))
        consider(bottom.oddHalf, offset: Int32(width + 1))
        UnsafeMutableRawPointer(values).storeBytes(of: best, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(indices).storeBytes(of: index, as: SIMD8<Int32>.self)
    }

    /// ``maxOfPairs`` for four windows (planes narrower than eight outputs).
    @inline(__always)
    private static func maxOfFourPairs(
        _ source: UnsafePointer<Float>, row: Int, column: Int, width: Int,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>
    ) {
        let top = UnsafeRawPointer(source + row * width + column).loadUnaligned(as: SIMD8<Float>.self)
        let bottom = UnsafeRawPointer(source + (row + 1) * width + column).loadUnaligned(as: SIMD8<Float>.self)
        let topLeft = SIMD4<Int32>(0, 2, 4, 6) &+ Int32(row * width + column)
        var best = top.evenHalf
        var index = topLeft
        @inline(__always)
        func consider(_ candidate: SIMD4<Float>, offset: Int32) {
            let takes = (candidate .> best) .| (candidate .!= candidate)
            best.replace(with: candidate, where: takes)
            index.replace(with: topLeft &+ offset, where: takes)
        }
        consider(top.oddHalf, offset: 1)
        consider(bottom.evenHalf, offset: Int32(width))
        consider(bottom.oddHalf, offset: Int32(width + 1))
        UnsafeMutableRawPointer(values).storeBytes(of: best, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(indices).storeBytes(of: index, as: SIMD4<Int32>.self)
    }

    /// Adds each output gradient to the input position that won its window.
    static func maxBackward(
        _ gradient: UnsafePointer<Float>, indices: UnsafePointer<Int32>, geometry g: WindowGeometry,
        into inputGradient: UnsafeMutablePointer<Float>
    ) {
        forPlanes(g) { plane in
            let target = inputGradient + plane * g.inputPlane
            target.initialize(repeating: 0, count: g.inputPlane)
            for out in (plane * g.outputPlane)..<((plane + 1) * g.outputPlane) where indices[out] >= 0 {
                target[Int(indices[out])] += gradient[out]
            }
        }
    }

    /// Mean over each window, padding counted as zeros (PyTorch's `count_include_pad=True`).
    static func averageForward(_ x: UnsafePointer<Float>, geometry g: WindowGeometry, into output: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(g.taps)
        forPlanes(g) { plane in
            let source = x + plane * g.inputPlane
            var out = plane * g.outputPlane
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    var total: Float = 0
                    forWindow(oh, ow, g) { total += source[$0] }
                    output[out] = total * scale
                    out += 1
                }
            }
        }
    }

    /// Spreads each output gradient evenly over its window.
    static func averageBackward(
        _ gradient: UnsafePointer<Float>, geometry g: WindowGeometry, into inputGradient: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(g.taps)
        forPlanes(g) { plane in
            let target = inputGradient + plane * g.inputPlane
            target.initialize(repeating: 0, count: g.inputPlane)
            var out = plane * g.outputPlane
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let share = gradient[out] * scale
                    forWindow(oh, ow, g) { target[$0] += share }
                    out += 1
                }
            }
        }
    }

    /// Calls `body` with the in-plane index of every tap of window `(oh, ow)` inside the input.
    @inline(__always)
    private static func forWindow(_ oh: Int, _ ow: Int, _ g: WindowGeometry, _ body: (Int) -> Void) {
        for kh in 0..<g.kernelHeight {
            let ih = oh * g.strideHeight - g.padHeight + kh * g.dilationHeight
            guard ih >= 0 && ih < g.height else { continue }
            for kw in 0..<g.kernelWidth {
                let iw = ow * g.strideWidth - g.padWidth + kw * g.dilationWidth
                guard iw >= 0 && iw < g.width else { continue }
                body(ih * g.width + iw)
            }
        }
    }

    private static func forPlanes(_ g: WindowGeometry, _ body: (Int) -> Void) {
        let planes = g.batch * g.channels
        let perTask = max(1, Elementwise.chunk / max(1, g.inputPlane))
        let tasks = (planes + perTask - 1) / perTask
        ThreadPool.current.parallelFor(tasks) { task, _ in
            for plane in (task * perTask)..<min(planes, (task + 1) * perTask) { body(plane) }
        }
    }
}
