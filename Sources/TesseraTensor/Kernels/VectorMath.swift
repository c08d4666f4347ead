/// Exponential, logistic sigmoid and hyperbolic tangent of eight floats at once, for kernels
/// that apply them to every value of a layer (the LSTM's gates): the standard library has no
/// SIMD form, and eight scalar calls cost several times one of these. Accuracy: `exp` within
/// 2 ulp where it is a normal float (Cody–Waite reduction by ln 2, a degree-6 polynomial, the
/// exponent set through the bits); `sigmoid` and `tanh` from it, within 1e-7 absolute.
/// Deterministic: the same lanes give the same bits on every run.
enum VectorMath {
    /// `e^x` per lane; below −87.33 (where it would be subnormal) 0, above 88.37 +∞.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let (low, high) = (SIMD8<Float>(repeating: -87.33654), SIMD8<Float>(repeating: 88.37626))
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // x = n·ln 2 + r, |r| ≤ ln 2 / 2, with ln 2 split in two so that n·ln2High is exact.
        let n = (clamped * 1.442695041).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        // e^r by its Taylor polynomial in Horner form (Cephes' expf coefficients).
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * r * r + r + 1
        // 2^n through the exponent bits (n is in [−126, 127] after the clamp).
        // n is a whole float: adding 1.5·2^23 puts it in the low mantissa bits, which read as an
        // integer give n + 0x4B400000 (a float-to-integer conversion without a generic path).
        let shifted = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scaled = er * unsafeBitCast((shifted &+ 127) &<< 23, to: SIMD8<Float>.self)
        // The clamp's ends: e^x underflows to 0 below, overflows to ∞ above; NaN stays NaN.
        return scaled.replacing(with: 0, where: x .< low).replacing(with: Float.infinity, where: x .> high)
            .replacing(with: x, where: x .!= x)
    }

    /// `1 / (1 + e^−x)` per lane.
    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// `tanh x` per lane, as `1 − 2 / (e^{2x} + 1)` (odd, so computed on |x| and signed).
    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let magnitude = abs(x)
        let value = 1 - 2 / (exp(2 * magnitude) + 1)
        return value.replacing(with: -value, where: x .< 0)
    }

    @inline(__always)
    private static func abs(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x.replacing(with: -x, where: x .< 0)
    }
}

extension UnsafePointer where Pointee == Float {
    /// The eight floats from here.
    @inline(__always)
    func loadVector() -> SIMD8<Float> {
        UnsafeRawPointer(self).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Writes `vector` to the eight floats from here.
    @inline(__always)
    func storeVector(_ vector: SIMD8<Float>) {
        UnsafeMutableRawPointer(self).storeBytes(of: vector, as: SIMD8<Float>.self)
    }
}
