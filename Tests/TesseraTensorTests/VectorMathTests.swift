import Foundation
import Testing
@testable import TesseraTensor

/// The eight-lane exponential, sigmoid and tanh the LSTM's gates use, against Foundation's
/// scalar functions in Float64 over their whole useful range.
@Suite("Vector math")
struct VectorMathTests {
    /// Every 1/64 from −100 to 100: exp within 3 ulp (relative 4e-7) where it is a normal
    /// float, 0 and ∞ beyond; sigmoid and tanh within 2e-7 absolute.
    @Test func agreesWithTheScalarFunctions() {
        let points = stride(from: -100.0, through: 100.0, by: 1.0 / 64).map(Float.init)
        var worstExp = 0.0, worstSigmoid = 0.0, worstTanh = 0.0
        for start in stride(from: 0, to: points.count - 7, by: 8) {
            let x = SIMD8<Float>(points[start..<(start + 8)])
            let (e, s, t) = (VectorMath.exp(x), VectorMath.sigmoid(x), VectorMath.tanh(x))
            for lane in 0..<8 {
                let value = Double(x[lane])
                if x[lane] < -87.33654 {
                    #expect(e[lane] == 0)
                } else if x[lane] > 88.37626 {
                    #expect(e[lane] == .infinity)
                } else {
                    worstExp = max(worstExp, abs(Double(e[lane]) / Foundation.exp(value) - 1))
                }
                worstSigmoid = max(worstSigmoid, abs(Double(s[lane]) - 1 / (1 + Foundation.exp(-value))))
                worstTanh = max(worstTanh, abs(Double(t[lane]) - Foundation.tanh(value)))
            }
        }
        #expect(worstExp < 4e-7, "exp: relative error \(worstExp)")
        #expect(worstSigmoid < 2e-7, "sigmoid: absolute error \(worstSigmoid)")
        #expect(worstTanh < 2e-7, "tanh: absolute error \(worstTanh)")
    }

    /// The sign of tanh and the limits: ±1 far out, 0 at 0, NaN through.
    @Test func limitsAndSigns() {
        let t = VectorMath.tanh(SIMD8<Float>(0, -0.5, 0.5, -20, 20, -1e-6, .nan, 1e-6))
        #expect(t[0] == 0 && t[1] == -t[2] && t[3] == -1 && t[4] == 1 && t[5] <= 0 && t[6].isNaN && t[7] >= 0)
        #expect(VectorMath.sigmoid(SIMD8<Float>(repeating: -200))[0] == 0 && VectorMath.sigmoid(SIMD8<Float>(repeating: 200))[0] == 1)
    }
}
