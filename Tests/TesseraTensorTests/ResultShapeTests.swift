import Testing
@testable import TesseraTensor

/// `Op.resultShape(for:)` says what `apply` will produce, without running it, for every op;
/// and shapes claiming more elements than can be counted are errors, not traps.
@Suite("Result shapes")
struct ResultShapeTests {
    static let x = Ref.random([2, 3, 6, 6], seed: 1).tensor
    static let w = Ref.random([4, 3, 3, 3], seed: 2).tensor
    static let m = Ref.random([3, 4], seed: 3).tensor
    static let n = Ref.random([2, 4, 5], seed: 4).tensor
    static let logits = Ref.random([4, 5], seed: 5).tensor
    static let labels = Tensor([0, 1, 4, 2])

    static let cases: [(Op, [Tensor])] = [
        (.add, [x, Tensor([1, 2, 3, 4, 5, 6])]), (.subtract, [m, m]), (.multiply, [m, Tensor([2])]), (.divide, [m, m]),
        (.power, [m, Tensor([2])]), (.negate, [m]), (.exp, [m]), (.log, [m]), (.sqrt, [m]), (.relu, [m]), (.sigmoid, [m]),
        (.tanh, [m]), (.sum(axes: nil, keepDimensions: false), [x]), (.sum(axes: [1, -1], keepDimensions: true), [x]),
        (.mean(axes: [0], keepDimensions: false), [x]), (.max(axes: [2], keepDimensions: false), [x]),
        (.argmax(axis: -1, keepDimensions: true), [x]), (.matmul, [m, n]), (.conv2d(Conv2DOptions(stride: 2, padding: 1)), [x, w]),
        (.conv2d(Conv2DOptions(dilation: 2)), [x, w, Tensor([1, 2, 3, 4])]), (.maxPool2d(Pool2DOptions(kernel: 2)), [x]),
        (.avgPool2d(Pool2DOptions(kernel: 3, stride: 1, padding: 1)), [x]), (.softmax(axis: 1), [m]), (.logSoftmax(axis: -1), [m]),
        (.crossEntropy, [logits, labels]), (.reshape([6, -1]), [x]), (.permute([3, 0, 2, 1]), [x]), (.slice(1..<2), [x]),
        (.concatenate(axis: 1), [x, x, x]),
    ]

    @Test(arguments: cases.indices)
    func resultShapeIsWhatApplyProduces(index: Int) throws {
        let (op, inputs) = Self.cases[index]
        #expect(try op.resultShape(for: inputs.map(\.shape)) == op.apply(to: inputs).shape, "\(op)")
    }

    @Test func refusedInputsAreRefusedAlike() throws {
        #expect(throws: TensorError.self) { try Op.matmul.resultShape(for: [[3, 4], [5, 6]]) }
        #expect(throws: TensorError.self) { try Op.add.resultShape(for: [[3], [4]]) }
        #expect(throws: TensorError.self) { try Op.slice(0..<9).resultShape(for: [[3, 2]]) }
        #expect(throws: TensorError.self) { try Op.concatenate(axis: 0).resultShape(for: [[3, 2], [3, 3]]) }
    }

    /// Shapes a message can claim: their counts overflow Int, or are merely enormous.
    @Test func enormousShapesAreCountedOrRefusedWithoutATrap() throws {
        let huge = [2_147_483_647, 2_147_483_647, 2_147_483_647]
        #expect(throws: TensorError.self) { try Op.reshape(huge).resultShape(for: [[4]]) }
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3, 4]).reshaped(huge) }
        #expect(throws: TensorError.self) { try Tensor.elementCount(of: huge) }
        #expect(try Op.add.resultShape(for: [[1 << 27, 1], [1, 1 << 27]]) == [1 << 27, 1 << 27])
        #expect(try Op.concatenate(axis: 0).resultShape(for: Array(repeating: [1 << 20], count: 65_536)) == [1 << 36])
        let padded = Op.conv2d(Conv2DOptions(padding: 65_536))
        #expect(try padded.resultShape(for: [[1, 1, 4, 4], [1, 1, 3, 3]]) == [1, 1, 131_074, 131_074])
        #expect(try padded.scratchElements(for: [[1, 1, 4, 4], [1, 1, 3, 3]]) == 9 * 131_074 * 131_074)
    }

    /// Found by the op fuzzer: an empty tensor reshaped to [0, 2^40, 2^40] passed (it holds no
    /// element), and a later op's count of its last two dimensions overflowed and trapped.
    @Test func emptyShapesWithEnormousDimensionsAreRefused() throws {
        let empty = try Tensor([], shape: [0])
        #expect(throws: TensorError.self) { try empty.reshaped([0, 1 << 40, 1 << 40]) }
        #expect(throws: TensorError.self) { try Op.reshape([0, 1 << 40, 1 << 40]).resultShape(for: [[0]]) }
        #expect(try empty.reshaped([0, 1 << 20, 4]).shape == [0, 1 << 20, 4])
        let joined = try Tensor.concatenate([try empty.reshaped([0, 1 << 20, 4]), try empty.reshaped([0, 1 << 20, 4])], alongAxis: 0)
        #expect(joined.shape == [0, 1 << 20, 4])
        #expect(throws: TensorError.self) { try Op.add.resultShape(for: [[0, 1], [1, 1 << 30]]) }
    }

    /// Found by the op fuzzer: summing an empty [big, 0, big] tensor over its first two axes made
    /// a 2^40-element intermediate on the way to a 2^20-element result.
    @Test func sumsOverEmptyTensorsAllocateOnlyTheResult() throws {
        let empty = try Tensor([], shape: [0]).reshaped([1 << 14, 0, 1 << 14])
        let total = try empty.sum(alongAxes: [0, 1])
        #expect(total.shape == [1 << 14] && total.scalars.allSatisfy { $0 == 0 })
        #expect(try empty.sum(alongAxes: [0, 1], keepingDimensions: true).shape == [1, 1, 1 << 14])
        // An empty shape's other dimensions are bounded (softmax along the empty axis of
        // [2^20, 0, 2^20] would loop 2^40 times: found by the op fuzzer).
        #expect(throws: TensorError.self) { try Tensor([], shape: [0]).reshaped([1 << 20, 0, 1 << 20]) }
        #expect(try Tensor.zeros([2, 3, 4]).sum(alongAxes: [0, 2]).shape == [3])
    }

    /// Found by the op fuzzer: a dilation of 2^40 times an (empty) weight 2^30 wide overflowed
    /// in the window geometry and trapped; sizes on the wire reach 2^32 each.
    @Test func windowSizesThatOverflowAreRefused() throws {
        let op = Op.conv2d(Conv2DOptions(dilation: Size2D(height: 1 << 40, width: 1 << 40)))
        #expect(throws: TensorError.self) { try op.resultShape(for: [[1, 0, 4, 4], [1, 0, 1 << 13, 1 << 13]]) }
        let pool = Op.maxPool2d(Pool2DOptions(kernel: 2, padding: Size2D(height: Int.max / 2 + 1, width: 1)))
        #expect(throws: TensorError.self) { try pool.resultShape(for: [[1, 1, 4, 4]]) }
    }
}
