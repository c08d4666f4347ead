import Testing
@testable import TesseraTensor

@Suite("Autograd")
struct AutogradTests {
    @Test func gradientsAccumulateOverReuseAndCalls() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        // d/dx sum(x * x + x) = 2x + 1
        try (x * x + x).sum().backward()
        #expect(x.grad?.scalars == [3, 5, 7])
        try x.sum().backward()
        #expect(x.grad?.scalars == [4, 6, 8])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test func noGradScopeRecordsNothing() throws {
        let x = Tensor([1, 2]).requiringGrad()
        let y = try GradMode.withoutGradients { try x * x }
        #expect(!y.requiresGrad)
        #expect(GradMode.isRecording)
    }

    @Test func detachedStopsTheGradient() throws {
        let x = Tensor([2]).requiringGrad()
        try (x * x.detached()).sum().backward()
        #expect(x.grad?.scalars == [2])
    }

    @Test func deepChainsDoNotOverflowTheStack() throws {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y + 0.0 }
        try y.sum().backward()
        #expect(x.grad?.scalars == [1])
    }

    @Test func copiesShareTheLeaf() throws {
        var w = Tensor([3]).requiringGrad()
        let copy = w
        try (copy * 2).sum().backward()
        #expect(w.grad?.scalars == [2])
        try w.replaceScalars([5])
        #expect(w.grad?.scalars == [2])
        #expect(copy.scalars == [3])
    }
}
