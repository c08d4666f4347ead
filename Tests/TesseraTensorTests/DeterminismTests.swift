import Testing
@testable import TesseraTensor

@Suite("Determinism")
struct DeterminismTests {
    /// A small CNN step: conv, pool, linear, loss, backward.
    static func trainingStep() throws -> (Tensor, [Tensor]) {
        let x = try Tensor.normal([5, 3, 12, 12], seed: 1)
        var w1 = try Tensor.normal([8, 3, 5, 5], standardDeviation: 0.1, seed: 2)
        var w2 = try Tensor.normal([8 * 6 * 6, 10], standardDeviation: 0.05, seed: 3)
        w1.requiresGrad = true
        w2.requiresGrad = true
        let labels = Tensor([0, 3, 9, 1, 4])
        let hidden = try x.conv2d(weight: w1, options: Conv2DOptions(padding: 2)).relu().maxPool2d(Pool2DOptions(kernel: 2))
        let loss = try hidden.reshaped([5, -1]).matmul(w2).crossEntropy(labels: labels)
        try loss.backward()
        return (loss, [try #require(w1.grad), try #require(w2.grad)])
    }

    @Test func twoRunsGiveTheSameBits() throws {
        let (loss1, grads1) = try Self.trainingStep()
        let (loss2, grads2) = try Self.trainingStep()
        #expect(loss1 == loss2)
        #expect(grads1 == grads2)
    }

    @Test func seededCreationRepeats() throws {
        #expect(try Tensor.normal([100], seed: 7) == (try Tensor.normal([100], seed: 7)))
        #expect(try Tensor.uniform([100], seed: 7) != (try Tensor.uniform([100], seed: 8)))
    }

    /// Batches below the thread count run threaded GEMMs, larger ones run images in parallel
    /// with serial GEMMs; every image must come out the same either way.
    @Test func convolutionPathsAgree() throws {
        let x = try Tensor.normal([4, 3, 9, 9], seed: 4)
        let w = try Tensor.normal([5, 3, 3, 3], seed: 5)
        let batched = try x.conv2d(weight: w, options: Conv2DOptions(padding: 1))
        for image in 0..<4 {
            let single = try x.slice(image..<(image + 1)).conv2d(weight: w, options: Conv2DOptions(padding: 1))
            #expect(single == (try batched.slice(image..<(image + 1))))
        }
    }
}
