import Foundation

// The elementwise functions of the primitive op set. Transcendentals have no SIMD form in the
// standard library, so their vector form applies the scalar one per lane.

enum Add: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a + b }
}

enum Subtract: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a - b }
}

enum Multiply: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * b }
}

enum Divide: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a / b }
}

enum Power: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Foundation.pow(a, b) }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { perLane(a, b, apply) }
}

/// 1 where `a == b`, else 0 (the mask of max positions).
enum Equal: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: 1, where: a .== b)
    }
}

/// `b` where `a > 0`, else 0 (ReLU's backward with `a` the input).
enum PassWherePositive: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a > 0 ? b : 0 }
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: b, where: a .> 0)
    }
}

enum Negate: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { -x }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { -x }
}

enum Exp: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

enum Log: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

enum SquareRoot: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x.squareRoot() }
}

enum Rectify: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { x > 0 ? x : 0 }
    // `replacing(with:where:)` lowers to a compare and blend; the generic `pointwiseMax`
    // is not specialized across modules and costs a call per vector.
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: x .< 0) }
}

enum Sigmoid: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

enum HyperbolicTangent: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { Foundation.tanh(x) }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

@inline(__always)
private func perLane(_ x: SIMD8<Float>, _ f: (Float) -> Float) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = f(x[lane]) }
    return result
}

@inline(__always)
private func perLane(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ f: (Float, Float) -> Float) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = f(a[lane], b[lane]) }
    return result
}

/// GELU, `x · Φ(x)` with the exact normal CDF `Φ(x) = (1 + erf(x / √2)) / 2`, as PyTorch's
/// default.
enum GaussianErrorLinear: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752)) }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

/// GELU's derivative, `Φ(x) + x · φ(x)`.
enum GaussianErrorLinearSlope: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float {
        0.5 * (1 + Foundation.erf(x * 0.70710678118654752)) + x * 0.39894228040143268 * Foundation.exp(-0.5 * x * x)
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}
