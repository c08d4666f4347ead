import Foundation

/// A deliberately naive Float64 tensor used as the reference the kernels are checked against.
struct Ref {
    var shape: [Int]
    var data: [Double]

    init(shape: [Int], data: [Double]) {
        self.shape = shape
        self.data = data
    }

    init(_ shape: [Int], _ f: ([Int]) -> Double) {
        self.shape = shape
        data = []
        forEachIndex(shape) { data.append(f($0)) }
    }

    var count: Int { data.count }
    func offset(_ index: [Int]) -> Int {
        var offset = 0, step = 1
        for axis in shape.indices.reversed() {
            offset += index[axis] * step
            step *= shape[axis]
        }
        return offset
    }

    subscript(_ index: [Int]) -> Double {
        get { data[offset(index)] }
        set { data[offset(index)] = newValue }
    }
}

func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
    if shape.contains(0) { return }
    var index = [Int](repeating: 0, count: shape.count)
    while true {
        body(index)
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    return zip(pa, pb).map { max($0, $1) }
}

/// Reads `x` at `index` of a larger broadcast shape.
func broadcastRead(_ x: Ref, _ index: [Int]) -> Double {
    let offset = index.count - x.shape.count
    return x[x.shape.indices.map { x.shape[$0] == 1 ? 0 : index[$0 + offset] }]
}

enum Reference {
    static func binary(_ a: Ref, _ b: Ref, _ f: (Double, Double) -> Double) -> Ref {
        Ref(broadcastShape(a.shape, b.shape)) { f(broadcastRead(a, $0), broadcastRead(b, $0)) }
    }

    static func unary(_ x: Ref, _ f: (Double) -> Double) -> Ref {
        Ref(shape: x.shape, data: x.data.map(f))
    }

    static func reduce(_ x: Ref, axes: [Int], keep: Bool, initial: Double, _ f: (Double, Double) -> Double) -> Ref {
        let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var out = Ref(shape: kept, data: [Double](repeating: initial, count: kept.reduce(1, *)))
        forEachIndex(x.shape) { index in
            let target = index.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
            out[target] = f(out[target], x[index])
        }
        if !keep { out.shape = x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element) }
        return out
    }

    static func matmul(_ a: Ref, _ b: Ref) -> Ref {
        if a.shape.count == 2 && b.shape.count == 2 {
            // Flat loops: the GEMM tests use large matrices and run in debug builds.
            let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
            var out = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for p in 0..<k {
                    let value = a.data[i * k + p]
                    for j in 0..<n { out[i * n + j] += value * b.data[p * n + j] }
                }
            }
            return Ref(shape: [m, n], data: out)
        }
        let (m, k, n) = (a.shape[a.shape.count - 2], a.shape.last!, b.shape.last!)
        let batch = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        return Ref(batch + [m, n]) { index in
            let bi = Array(index.dropLast(2)), (i, j) = (index[index.count - 2], index[index.count - 1])
            var total = 0.0
            for p in 0..<k { total += broadcastRead(a, bi + [i, p]) * broadcastRead(b, bi + [p, j]) }
            return total
        }
    }

    static func conv2d(_ x: Ref, _ w: Ref, _ bias: Ref?, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) -> Ref {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
        let ow = (wd + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
        return Ref([n, o, oh, ow]) { idx in
            var total = bias?.data[idx[1]] ?? 0
            for ci in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let y = idx[2] * stride.0 - padding.0 + i * dilation.0
                let xx = idx[3] * stride.1 - padding.1 + j * dilation.1
                if y >= 0 && y < h && xx >= 0 && xx < wd { total += x[[idx[0], ci, y, xx]] * w[[idx[1], ci, i, j]] }
            } } }
            return total
        }
    }

    static func pool(_ x: Ref, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), average: Bool) -> Ref {
        let (h, wd) = (x.shape[2], x.shape[3])
        let oh = (h + 2 * padding.0 - kernel.0) / stride.0 + 1
        let ow = (wd + 2 * padding.1 - kernel.1) / stride.1 + 1
        return Ref([x.shape[0], x.shape[1], oh, ow]) { idx in
            var best = -Double.infinity, total = 0.0
            for i in 0..<kernel.0 { for j in 0..<kernel.1 {
                let y = idx[2] * stride.0 - padding.0 + i, xx = idx[3] * stride.1 - padding.1 + j
                if y >= 0 && y < h && xx >= 0 && xx < wd {
                    best = max(best, x[[idx[0], idx[1], y, xx]])
                    total += x[[idx[0], idx[1], y, xx]]
                }
            } }
            return average ? total / Double(kernel.0 * kernel.1) : best
        }
    }

    static func softmax(_ x: Ref, axis: Int, log: Bool) -> Ref {
        let largest = reduce(x, axes: [axis], keep: true, initial: -.infinity, max)
        let shifted = binary(x, largest, -)
        let total = reduce(unary(shifted, Foundation.exp), axes: [axis], keep: true, initial: 0, +)
        return log ? binary(shifted, unary(total, Foundation.log), -) : binary(unary(shifted, Foundation.exp), total, /)
    }

    static func crossEntropy(_ logits: Ref, _ labels: Ref) -> Ref {
        let logp = softmax(logits, axis: 1, log: true)
        let n = logits.shape[0]
        let total = (0..<n).map { -logp[[$0, Int(labels.data[$0])]] }.reduce(0, +)
        return Ref(shape: [], data: [total / Double(n)])
    }

    static func permute(_ x: Ref, _ axes: [Int]) -> Ref {
        if axes == [1, 0] {
            let (rows, columns) = (x.shape[0], x.shape[1])
            var out = [Double](repeating: 0, count: x.count)
            for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = x.data[i * columns + j] } }
            return Ref(shape: [columns, rows], data: out)
        }
        return Ref(axes.map { x.shape[$0] }) { index in
            var source = [Int](repeating: 0, count: axes.count)
            for (position, axis) in axes.enumerated() { source[axis] = index[position] }
            return x[source]
        }
    }
}

extension Ref {
    /// Deterministic pseudo-random values in [low, high).
    static func random(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Ref {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return Ref(shape) { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return low + (high - low) * Double(state >> 11) / Double(1 << 53)
        }
    }
}
