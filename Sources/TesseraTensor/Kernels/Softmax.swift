import Foundation

/// Numerically stable softmax and log-softmax along the middle dimension of `[outer, length, inner]`.
enum Softmax {
    /// `exp(x - max) / sum(exp(x - max))`, or its logarithm when `logarithm`.
    static func forward(_ x: [Float], outer: Int, length: Int, inner: Int, logarithm: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { out in
                guard let px = x.baseAddress, let po = out.baseAddress else { return }
                let tasks = min(outer, max(1, x.count / Elementwise.chunk))
                ThreadPool.current.parallelFor(tasks) { task, _ in
                    for o in GEMM.evenSlice(of: outer, part: task, of: tasks) {
                        for i in 0..<inner {
                            let source = px + o * length * inner + i
                            let target = po + o * length * inner + i
                            var largest = -Float.infinity
                            for step in 0..<length { largest = max(largest, source[step * inner]) }
                            if !largest.isFinite { largest = 0 }
                            var total: Float = 0
                            for step in 0..<length {
                                let e = Foundation.exp(source[step * inner] - largest)
                                target[step * inner] = e
                                total += e
                            }
                            if logarithm {
                                let logTotal = Foundation.log(total) + largest
                                for step in 0..<length { target[step * inner] = source[step * inner] - logTotal }
                            } else {
                                let scale = 1 / total
                                for step in 0..<length { target[step * inner] *= scale }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
