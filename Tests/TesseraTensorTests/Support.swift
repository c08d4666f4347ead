import Foundation
import Testing
@testable import TesseraTensor

extension Ref {
    var tensor: Tensor { Tensor(shape: shape, storage: data.map(Float.init)) }
}

/// Asserts that `actual` matches the Float64 `expected` within `tolerance` (relative to
/// magnitude, absolute below 1).
func expectClose(
    _ actual: Tensor, _ expected: Ref, tolerance: Double = 1e-4,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    var worst = 0.0, worstIndex = -1
    for (index, (a, e)) in zip(actual.scalars, expected.data).enumerated() {
        let error = abs(Double(a) - e) / max(1, abs(e))
        if !(error <= worst) { worst = error; worstIndex = index }
    }
    #expect(worst <= tolerance, "max relative error \(worst) at \(worstIndex)", sourceLocation: sourceLocation)
}

/// Pools sized 1 and 2, created once (pool threads live as long as the process).
enum TestPools {
    static let one = ThreadPool(threadCount: 1)
    static let two = ThreadPool(threadCount: 2)
}
