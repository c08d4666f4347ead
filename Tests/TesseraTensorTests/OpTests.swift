import Foundation
import Testing
@testable import TesseraTensor

@Suite("Ops against a Float64 reference")
struct OpTests {
    @Test("forward matches the reference", arguments: opCases)
    func forwardMatchesReference(_ op: OpCase) throws {
        let result = try op.run(op.inputs.map(\.tensor))
        expectClose(result, op.reference(op.inputs), tolerance: 1e-5)
    }

    /// Autograd's gradient of `sum(f(x) * r)` against central finite differences of the
    /// Float64 reference.
    @Test("gradient matches central differences", arguments: opCases)
    func gradientMatchesFiniteDifferences(_ op: OpCase) throws {
        var tensors = op.inputs.map(\.tensor)
        for index in op.differentiable { tensors[index].requiresGrad = true }
        let output = try op.run(tensors)
        let weights = Ref.random(output.shape, seed: 99)
        try (output * weights.tensor).sum().backward()

        func loss(_ inputs: [Ref]) -> Double {
            zip(op.reference(inputs).data, weights.data).map(*).reduce(0, +)
        }
        let step = 1e-6
        for index in op.differentiable {
            let analytic = try #require(tensors[index].grad, "no gradient for input \(index)")
            var numeric = op.inputs[index]
            for element in numeric.data.indices {
                var plus = op.inputs, minus = op.inputs
                plus[index].data[element] += step
                minus[index].data[element] -= step
                numeric.data[element] = (loss(plus) - loss(minus)) / (2 * step)
            }
            expectClose(analytic, numeric, tolerance: 2e-3)
        }
    }

    @Test func opEnumDispatchesLikeTheMethods() throws {
        let x = Ref.random([2, 3, 6, 6], seed: 5).tensor
        let w = Ref.random([4, 3, 3, 3], seed: 6).tensor
        let viaEnum = try Op.conv2d(Conv2DOptions(padding: 1)).apply(to: [x, w])
        #expect(viaEnum == (try x.conv2d(weight: w, options: Conv2DOptions(padding: 1))))
        #expect(try Op.sum(axes: nil, keepDimensions: false).apply(to: [x]) == (try x.sum()))
        #expect(throws: TensorError.self) { try Op.matmul.apply(to: [x]) }
    }
}
