import Foundation

// The elementwise functions of the primitive op set. Transcendentals have no SIMD form in the
// standard library, so their vector form applies the scalar one per lane.

enum Add: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { a + b }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a + b }
}

enum Subtract: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { a - b }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a - b }
}

enum Multiply: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { a * b }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * b }
}

enum Divide: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { a / b }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a / b }
}

enum Power: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { Foundation.pow(a, b) }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { perLane(a, b, apply) }
}

/// 1 where `a == b`, else 0 (the mask of max positions).
enum Equal: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: 1, where: a .== b)
    }
}

/// `b` where `a > 0`, else 0 (ReLU's backward with `a` the input).
enum PassWherePositive: BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float { a > 0 ? b : 0 }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: b, where: a .> 0)
    }
}

enum Negate: UnaryFunction {
    static func apply(_ x: Float) -> Float { -x }
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { -x }
}

enum Exp: UnaryFunction {
    static func apply(_ x: Float) -> Float { Foundation.exp(x) }
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

enum Log: UnaryFunction {
    static func apply(_ x: Float) -> Float { Foundation.log(x) }
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

enum SquareRoot: UnaryFunction {
    static func apply(_ x: Float) -> Float { x.squareRoot() }
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x.squareRoot() }
}

enum Rectify: UnaryFunction {
    static func apply(_ x: Float) -> Float { x > 0 ? x : 0 }
    // `replacing(with:where:)` lowers to a compare and blend; the generic `pointwiseMax`
    // is not specialized across modules and costs a call per vector.
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: x .< 0) }
}

enum Sigmoid: UnaryFunction {
    static func apply(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
}

enum HyperbolicTangent: UnaryFunction {
    static func apply(_ x: Float) -> Float { Foundation.tanh(x) }
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { perLane(x, apply) }
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
