import Testing
@testable import TesseraTensor

@Suite("Typed errors for bad shapes and axes")
struct ErrorTests {
    static func kind(_ body: () throws -> Any) -> TensorError.Kind? {
        do {
            _ = try body()
            return nil
        } catch let error as TensorError {
            return error.kind
        } catch {
            return nil
        }
    }

    @Test func elementCountMismatch() {
        #expect(Self.kind { try Tensor([1, 2, 3], shape: [2, 2]) } == .elementCount)
        #expect(Self.kind { try Tensor([1], shape: [-1]) } == .invalidShape)
    }

    @Test func broadcastMismatchNamesBothShapes() throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        #expect(error.kind == .shapeMismatch)
        #expect(error.description.contains("[2, 3]") && error.description.contains("[4]"))
    }

    @Test func matmulInnerMismatch() throws {
        let error = try #require(throws: TensorError.self) { try Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5])) }
        #expect(error.description.contains("[2, 3]") && error.description.contains("[4, 5]"))
        #expect(Self.kind { try Tensor.zeros([3]).matmul(Tensor.zeros([3, 2])) } == .shapeMismatch)
    }

    @Test func axesOutOfRange() {
        let x = Tensor([1, 2, 3])
        #expect(Self.kind { try x.sum(alongAxes: [1]) } == .invalidAxis)
        #expect(Self.kind { try x.softmax(alongAxis: -2) } == .invalidAxis)
        #expect(Self.kind { try x.argmax(alongAxis: 3) } == .invalidAxis)
        #expect(Self.kind { try x.sum(alongAxes: [0, -1]) } == .invalidArgument)
        #expect(Self.kind { try x.permuted([0, 0]) } != nil)
    }

    @Test func reshapeAndSlice() {
        let x = Tensor([1, 2, 3, 4, 5, 6])
        #expect(Self.kind { try x.reshaped([4, -1]) } == .shapeMismatch)
        #expect(Self.kind { try x.reshaped([-1, -1]) } == .invalidArgument)
        #expect(Self.kind { try x.slice(2..<9) } == .invalidArgument)
        #expect(Self.kind { try Tensor.concatenate([]) } == .invalidArgument)
        #expect(Self.kind { try Tensor.concatenate([x, Tensor.zeros([2, 3])]) } == .shapeMismatch)
    }

    @Test func convolutionAndPooling() throws {
        let x = try Tensor.zeros([1, 3, 5, 5])
        #expect(Self.kind { try x.conv2d(weight: Tensor.zeros([4, 2, 3, 3])) } == .shapeMismatch)
        #expect(Self.kind { try x.conv2d(weight: Tensor.zeros([4, 3, 7, 7])) } == .invalidArgument)
        #expect(Self.kind { try x.conv2d(weight: Tensor.zeros([4, 3, 3, 3]), bias: Tensor.zeros([3])) } == .shapeMismatch)
        #expect(Self.kind { try x.conv2d(weight: Tensor.zeros([4, 3, 3, 3]), options: Conv2DOptions(stride: 0)) } == .invalidArgument)
        #expect(Self.kind { try Tensor.zeros([3, 5, 5]).maxPool2d(Pool2DOptions(kernel: 2)) } == .invalidArgument)
        #expect(Self.kind { try x.avgPool2d(Pool2DOptions(kernel: 2, padding: 2)) } == .invalidArgument)
    }

    @Test func crossEntropyLabels() throws {
        let logits = try Tensor.zeros([2, 3])
        #expect(Self.kind { try logits.crossEntropy(labels: Tensor([0, 3])) } == .invalidArgument)
        #expect(Self.kind { try logits.crossEntropy(labels: Tensor([0, 1.5])) } == .invalidArgument)
        #expect(Self.kind { try logits.crossEntropy(labels: Tensor([0])) } == .shapeMismatch)
    }

    @Test func backwardNeedsAScalarThatRequiresGrad() throws {
        #expect(Self.kind { try Tensor([1, 2]).backward() } == .noGradient)
        let x = Tensor([1, 2]).requiringGrad()
        #expect(Self.kind { try x.exp().backward() } == .noGradient)
        #expect(Self.kind { try x.exp().backward(seed: Tensor([1])) } == .shapeMismatch)
    }

    @Test func opArity() {
        #expect(Self.kind { try Op.add.apply(to: [Tensor([1])]) } == .arity)
        #expect(Self.kind { try Op.relu.apply(to: [Tensor([1]), Tensor([1])]) } == .arity)
    }
}
