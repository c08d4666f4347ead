import Foundation

/// The discrete Fourier transform of complex vectors whose length is a power of two (iterative
/// radix-2 Cooley-Tukey, in place), which the privacy-loss accountant convolves distributions of
/// hundreds of thousands of points with: O(n log n) instead of the O(n²) of a direct convolution.
struct FourierTransform {
    /// The length it transforms (a power of two).
    let length: Int
    /// Each stage's twiddle factors, stage after stage: for the stage joining blocks of `half`,
    /// cos and sin of 2πk / (2 half) for k below half, contiguous so that a stage reads them in
    /// order (n − 1 of each in all).
    private let cosines: [Double]
    private let sines: [Double]

    /// A transform of `length` points, a power of two of at least 1.
    init(length: Int) {
        precondition(length > 0 && length & (length - 1) == 0, "the transform's length is a power of two")
        self.length = length
        var cosines: [Double] = [], sines: [Double] = []
        var half = 1
        while half < length {
            for k in 0..<half {
                let angle = Double.pi * Double(k) / Double(half)
                cosines.append(cos(angle))
                sines.append(sin(angle))
            }
            half <<= 1
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// The smallest power of two of at least `count`.
    static func length(atLeast count: Int) -> Int {
        var length = 1
        while length < count { length <<= 1 }
        return length
    }

    /// Transforms `real` and `imaginary` (each `length` long) in place: X_k = Σ x_j e^{∓2πijk/n},
    /// the forward transform with the minus sign; the inverse is not scaled by 1/n.
    func transform(real: inout [Double], imaginary: inout [Double], inverse: Bool = false) {
        precondition(real.count == length && imaginary.count == length)
        let n = length
        // Bit-reversal permutation.
        var j = 0
        for i in 1..<max(n, 1) {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { real.swapAt(i, j); imaginary.swapAt(i, j) }
        }
        let sign: Double = inverse ? 1 : -1
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                cosines.withUnsafeBufferPointer { cosines in
                    sines.withUnsafeBufferPointer { sines in
                        var half = 1, offset = 0
                        while half < n {
                            var start = 0
                            while start < n {
                                for k in 0..<half {
                                    let c = cosines[offset + k], s = sign * sines[offset + k]
                                    let a = start + k, b = a + half
                                    let tr = re[b] * c - im[b] * s, ti = re[b] * s + im[b] * c
                                    re[b] = re[a] - tr; im[b] = im[a] - ti
                                    re[a] += tr; im[a] += ti
                                }
                                start += 2 * half
                            }
                            offset += half
                            half <<= 1
                        }
                    }
                }
            }
        }
    }
}
