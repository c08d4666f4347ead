import Foundation

/// A long short-term memory layer over whole sequences (Hochreiter & Schmidhuber 1997, as
/// PyTorch's `nn.LSTM` with `batch_first`): the forward pass keeping what backward needs, and
/// backpropagation through time. The weights' rows hold the gates in PyTorch's order: input,
/// forget, cell, output. Every step's input projection is one GEMM, each step's recurrent
/// product one GEMM on the recurrent weights packed once per pass, and backward's weight and input gradients one GEMM each over all steps;
/// the gate arithmetic is one pass over the step's values. Layouts: inputs `[batch, steps,
/// inputs]`, outputs and cells `[batch, steps, hidden]`, gates `[batch, steps, 4·hidden]`.
struct LongShortTermMemory {
    let batch, steps, inputs, hidden: Int
    var gates: Int { 4 * hidden }

    /// The forward pass's values backward reads: each step's gate activations and cells.
    struct Saved: Sendable {
        let activations: [Float]
        let cells: [Float]
    }

    /// Every step's hidden state, from zero initial hidden and cell states, and the saved values.
    ///
    /// Each step is one parallel loop: a thread owns a range of hidden units (whole 16-column
    /// strips of each gate) and computes their recurrent products on the weights packed once,
    /// then their gates, cells and outputs; the next step reads the outputs once all are done.
    func forward(_ x: [Float], weightIH: [Float], weightHH: [Float], bias: [Float], pool: ThreadPool = .current) -> (outputs: [Float], saved: Saved) {
        let (n, t, h, g) = (batch, steps, hidden, gates)
        // The input projections plus bias, then (step by step) the recurrent products added: the
        // gates' pre-activations, row (sample, step).
        var projected = [Float](repeating: 0, count: n * t * g)
        var activations = [Float](repeating: 0, count: n * t * g)
        var cells = [Float](repeating: 0, count: n * t * h)
        var outputs = [Float](repeating: 0, count: n * t * h)
        x.withUnsafeBufferPointer { x in
            weightIH.withUnsafeBufferPointer { wIH in
                bias.withUnsafeBufferPointer { bias in
                    projected.withUnsafeMutableBufferPointer { projected in
                        guard let px = x.baseAddress, let pw = wIH.baseAddress, let pb = bias.baseAddress,
                              let pp = projected.baseAddress else { return }
                        GEMM.multiply(m: n * t, n: g, k: inputs, a: MatrixOperand(rowMajor: px, columns: inputs),
                                      b: MatrixOperand(rowMajor: pw, columns: inputs, transposed: true), c: pp, ldc: g, accumulate: false)
                        for row in 0..<(n * t) { Self.add(pp + row * g, pb, into: pp + row * g, count: g) }
                    }
                }
            }
        }
        let width = Microkernel.columns
        // Units split in whole strips of every gate when the hidden size allows, else one task.
        let tasks = h % width == 0 ? max(1, min(pool.threadCount, h / width)) : 1
        let workspace = GEMM.Workspace.take(threads: pool.threadCount)
        defer { GEMM.Workspace.give(workspace) }
        weightHH.withUnsafeBufferPointer { wHH in
            projected.withUnsafeMutableBufferPointer { projected in
                activations.withUnsafeMutableBufferPointer { acts in
                    cells.withUnsafeMutableBufferPointer { cells in
                        outputs.withUnsafeMutableBufferPointer { outs in
                            guard let pw = wHH.baseAddress, let pp = projected.baseAddress, let pa = acts.baseAddress,
                                  let pc = cells.baseAddress, let po = outs.baseAddress else { return }
                            // Packed once for all steps' recurrent products.
                            let recurrent = GEMM.PackedB(MatrixOperand(rowMajor: pw, columns: h, transposed: true), k: h, n: g)
                            for time in 0..<t {
                                pool.parallelFor(tasks) { task, thread in
                                    let strips = GEMM.evenSlice(of: h / width, part: task, of: tasks)
                                    let unitRange = tasks == 1 ? 0..<h : (strips.lowerBound * width)..<(strips.upperBound * width)
                                    if time > 0 {
                                        // The previous step's outputs: one row per sample, t·h apart.
                                        let previous = MatrixOperand(rowMajor: po + (time - 1) * h, columns: t * h)
                                        // One task: every strip at once; else this task's strips of each of the four gates.
                                        for gate in 0..<(tasks == 1 ? 1 : 4) {
                                            let range = tasks == 1 ? 0..<((g + width - 1) / width)
                                                : ((gate * h + unitRange.lowerBound) / width)..<((gate * h + unitRange.upperBound) / width)
                                            GEMM.multiply(m: n, a: previous, packed: recurrent, strips: range, c: pp + time * g, ldc: t * g,
                                                          accumulate: true, scratch: workspace.packedA(thread: thread))
                                        }
                                    }
                                    applyGates(units: unitRange, time: time, preactivations: pp, activations: pa, cells: pc, outputs: po)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (outputs, Saved(activations: activations, cells: cells))
    }

    /// The gates, cells and outputs of units `units` at step `time` for every sample, from the
    /// pre-activations: eight units at a time, then the rest one by one.
    @inline(__always)
    private func applyGates(units: Range<Int>, time: Int, preactivations pp: UnsafeMutablePointer<Float>, activations pa: UnsafeMutablePointer<Float>,
                       cells pc: UnsafeMutablePointer<Float>, outputs po: UnsafeMutablePointer<Float>) {
        let (t, h, g) = (steps, hidden, gates)
        for sample in 0..<batch {
            let (s, c) = ((sample * t + time) * g, (sample * t + time) * h)
            let ps = UnsafePointer(pp + s)
            let vectorEnd = units.lowerBound + units.count / 8 * 8
            for j in stride(from: units.lowerBound, to: vectorEnd, by: 8) {
                let i = VectorMath.sigmoid((ps + j).loadVector()), f = VectorMath.sigmoid((ps + h + j).loadVector())
                let cell = VectorMath.tanh((ps + 2 * h + j).loadVector()), o = VectorMath.sigmoid((ps + 3 * h + j).loadVector())
                let before = time > 0 ? UnsafePointer(pc + c - h + j).loadVector() : SIMD8<Float>()
                let value = f * before + i * cell
                (pa + s + j).storeVector(i)
                (pa + s + h + j).storeVector(f)
                (pa + s + 2 * h + j).storeVector(cell)
                (pa + s + 3 * h + j).storeVector(o)
                (pc + c + j).storeVector(value)
                (po + c + j).storeVector(o * VectorMath.tanh(value))
            }
            for j in vectorEnd..<units.upperBound {
                let i = Self.sigmoid(ps[j]), f = Self.sigmoid(ps[h + j])
                let cell = Foundation.tanh(ps[2 * h + j]), o = Self.sigmoid(ps[3 * h + j])
                let before: Float = time > 0 ? pc[c - h + j] : 0
                let value = f * before + i * cell
                (pa[s + j], pa[s + h + j], pa[s + 2 * h + j], pa[s + 3 * h + j]) = (i, f, cell, o)
                pc[c + j] = value
                po[c + j] = o * Foundation.tanh(value)
            }
        }
    }

    /// The gradients of the input, both weights and the bias (which both biases share) from the
    /// gradient of every step's output.
    func backward(_ outputGradient: [Float], input x: [Float], outputs: [Float], weightIH: [Float], weightHH: [Float],
                  saved: Saved) -> (input: [Float], weightIH: [Float], weightHH: [Float], bias: [Float]) {
        let (n, t, h, g) = (batch, steps, hidden, gates)
        var gateGradients = [Float](repeating: 0, count: n * t * g)
        var hiddenNext = [Float](repeating: 0, count: n * h)
        var cellNext = [Float](repeating: 0, count: n * h)
        var step = [Float](repeating: 0, count: n * g)
        weightHH.withUnsafeBufferPointer { wHH in
            guard let pw = wHH.baseAddress else { return }
            // Packed once for all steps' products with the gates' gradients.
            let recurrent = GEMM.PackedB(MatrixOperand(rowMajor: pw, columns: h), k: g, n: h)
            for time in stride(from: t - 1, through: 0, by: -1) {
                saved.activations.withUnsafeBufferPointer { acts in
                    saved.cells.withUnsafeBufferPointer { cells in
                        outputGradient.withUnsafeBufferPointer { dOut in
                            step.withUnsafeMutableBufferPointer { dStep in
                                guard let pa = acts.baseAddress, let pc = cells.baseAddress, let pd = dOut.baseAddress,
                                      let ps = dStep.baseAddress else { return }
                                hiddenNext.withUnsafeBufferPointer { hiddenNext in
                                    cellNext.withUnsafeMutableBufferPointer { cellNext in
                                        guard let pn = hiddenNext.baseAddress, let pcn = cellNext.baseAddress else { return }
                                        for sample in 0..<n {
                                            let (s, a, c) = (sample * g, (sample * t + time) * g, (sample * t + time) * h)
                                            // Eight units at a time, then the rest one by one.
                                            let vectorized = h - h % 8
                                            for j in stride(from: 0, to: vectorized, by: 8) {
                                                let dh = (pd + c + j).loadVector() + (pn + sample * h + j).loadVector()
                                                let i = (pa + a + j).loadVector(), f = (pa + a + h + j).loadVector()
                                                let cell = (pa + a + 2 * h + j).loadVector(), o = (pa + a + 3 * h + j).loadVector()
                                                let squashed = VectorMath.tanh((pc + c + j).loadVector())
                                                let dc = UnsafePointer(pcn + sample * h + j).loadVector() + dh * o * (1 - squashed * squashed)
                                                let before = time > 0 ? (pc + c - h + j).loadVector() : SIMD8<Float>()
                                                (ps + s + j).storeVector(dc * cell * i * (1 - i))
                                                (ps + s + h + j).storeVector(dc * before * f * (1 - f))
                                                (ps + s + 2 * h + j).storeVector(dc * i * (1 - cell * cell))
                                                (ps + s + 3 * h + j).storeVector(dh * squashed * o * (1 - o))
                                                (pcn + sample * h + j).storeVector(dc * f)
                                            }
                                            for j in vectorized..<h {
                                                let dh = dOut[c + j] + hiddenNext[sample * h + j]
                                                let (i, f, cell, o) = (acts[a + j], acts[a + h + j], acts[a + 2 * h + j], acts[a + 3 * h + j])
                                                let squashed = Foundation.tanh(cells[c + j])
                                                let dc = cellNext[sample * h + j] + dh * o * (1 - squashed * squashed)
                                                let before: Float = time > 0 ? cells[c - h + j] : 0
                                                dStep[s + j] = dc * cell * i * (1 - i)
                                                dStep[s + h + j] = dc * before * f * (1 - f)
                                                dStep[s + 2 * h + j] = dc * i * (1 - cell * cell)
                                                dStep[s + 3 * h + j] = dh * squashed * o * (1 - o)
                                                cellNext[sample * h + j] = dc * f
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                step.withUnsafeBufferPointer { step in
                    gateGradients.withUnsafeMutableBufferPointer { gates in
                        guard let ps = step.baseAddress, let pg = gates.baseAddress else { return }
                        for sample in 0..<n { (pg + (sample * t + time) * g).update(from: ps + sample * g, count: g) }
                    }
                }
                // The hidden state's gradient flowing into the step before.
                step.withUnsafeBufferPointer { step in
                    hiddenNext.withUnsafeMutableBufferPointer { next in
                        guard let ps = step.baseAddress, let pn = next.baseAddress else { return }
                        GEMM.multiply(m: n, a: MatrixOperand(rowMajor: ps, columns: g), packed: recurrent, c: pn, ldc: h, accumulate: false)
                    }
                }
            }
        }
        // Each step's previous hidden state, in the gates' row order.
        var previous = [Float](repeating: 0, count: n * t * h)
        outputs.withUnsafeBufferPointer { outputs in
            previous.withUnsafeMutableBufferPointer { previous in
                guard let po = outputs.baseAddress, let pp = previous.baseAddress, t > 1 else { return }
                // A sample's steps are adjacent: its steps 0..<t−1 become its previous states 1..<t.
                for sample in 0..<n { (pp + (sample * t + 1) * h).update(from: po + sample * t * h, count: (t - 1) * h) }
            }
        }
        var dInput = [Float](repeating: 0, count: n * t * inputs)
        var dIH = [Float](repeating: 0, count: g * inputs)
        var dHH = [Float](repeating: 0, count: g * h)
        gateGradients.withUnsafeBufferPointer { dG in
            x.withUnsafeBufferPointer { x in
                previous.withUnsafeBufferPointer { previous in
                    weightIH.withUnsafeBufferPointer { wIH in
                        dInput.withUnsafeMutableBufferPointer { dX in
                            dIH.withUnsafeMutableBufferPointer { dIH in
                                dHH.withUnsafeMutableBufferPointer { dHH in
                                    guard let pg = dG.baseAddress, let px = x.baseAddress, let pp = previous.baseAddress,
                                          let pw = wIH.baseAddress, let pdx = dX.baseAddress, let pih = dIH.baseAddress,
                                          let phh = dHH.baseAddress else { return }
                                    let transposedGates = MatrixOperand(rowMajor: pg, columns: g, transposed: true)
                                    GEMM.multiply(m: g, n: h, k: n * t, a: transposedGates, b: MatrixOperand(rowMajor: pp, columns: h),
                                                  c: phh, ldc: h, accumulate: false)
                                    GEMM.multiply(m: g, n: inputs, k: n * t, a: transposedGates, b: MatrixOperand(rowMajor: px, columns: inputs),
                                                  c: pih, ldc: inputs, accumulate: false)
                                    GEMM.multiply(m: n * t, n: inputs, k: g, a: MatrixOperand(rowMajor: pg, columns: g),
                                                  b: MatrixOperand(rowMajor: pw, columns: inputs), c: pdx, ldc: inputs, accumulate: false)
                                }
                            }
                        }
                    }
                }
            }
        }
        var dBias = [Float](repeating: 0, count: g)
        gateGradients.withUnsafeBufferPointer { gates in
            dBias.withUnsafeMutableBufferPointer { dBias in
                guard let pg = gates.baseAddress, let pb = dBias.baseAddress else { return }
                for row in 0..<(n * t) { Self.add(pg + row * g, pb, into: pb, count: g) }
            }
        }
        return (dInput, dIH, dHH, dBias)
    }

    /// `c[i] = a[i] + b[i]` for `count` floats, eight at a time (`c` may be `b`).
    @inline(__always)
    private static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, count: Int) {
        let vectorized = count - count % 8
        for index in stride(from: 0, to: vectorized, by: 8) { (c + index).storeVector((a + index).loadVector() + (b + index).loadVector()) }
        for index in vectorized..<count { c[index] = a[index] + b[index] }
    }

    @inline(__always) private static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
}
