import Foundation
@testable import TesseraTensor

/// One op on concrete inputs, with its Float64 reference: the unit of the forward and the
/// gradient checks.
struct OpCase: CustomStringConvertible, Sendable {
    let name: String
    let inputs: [Ref]
    /// Inputs whose gradient is checked (labels, for example, are not differentiable).
    let differentiable: [Int]
    let run: @Sendable ([Tensor]) throws -> Tensor
    let reference: @Sendable ([Ref]) -> Ref

    var description: String { name }

    init(_ name: String, _ inputs: [Ref], differentiable: [Int]? = nil,
         _ run: @escaping @Sendable ([Tensor]) throws -> Tensor, _ reference: @escaping @Sendable ([Ref]) -> Ref) {
        self.name = name
        self.inputs = inputs
        self.differentiable = differentiable ?? Array(inputs.indices)
        self.run = run
        self.reference = reference
    }
}

extension Ref: @unchecked Sendable {}

private func r(_ shape: [Int], _ seed: UInt64, _ low: Double = -1, _ high: Double = 1) -> Ref {
    Ref.random(shape, seed: seed, low: low, high: high)
}

/// Inputs away from zero, so ReLU's kink is not inside the finite-difference step.
private func awayFromZero(_ shape: [Int], _ seed: UInt64) -> Ref {
    Reference.unary(r(shape, seed)) { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
}

private func labels(_ count: Int, classes: Int) -> Ref {
    Ref(shape: [count], data: (0..<count).map { Double(($0 * 7 + 3) % classes) })
}

let opCases: [OpCase] = [
    OpCase("add broadcast 7x1x5 + 13x5", [r([7, 1, 5], 1), r([13, 5], 2)], { try $0[0] + $0[1] }, { Reference.binary($0[0], $0[1], +) }),
    OpCase("add scalar tensor", [r([1, 1], 3), r([], 4)], { try $0[0] + $0[1] }, { Reference.binary($0[0], $0[1], +) }),
    OpCase("subtract row broadcast", [r([3, 4], 5), r([4], 6)], { try $0[0] - $0[1] }, { Reference.binary($0[0], $0[1], -) }),
    OpCase("multiply middle broadcast", [r([2, 3, 4], 7), r([1, 3, 1], 8)], { try $0[0] * $0[1] }, { Reference.binary($0[0], $0[1], *) }),
    OpCase("multiply 17 elements", [r([17], 9), r([17], 10)], { try $0[0] * $0[1] }, { Reference.binary($0[0], $0[1], *) }),
    OpCase("divide", [r([5, 3], 11), r([5, 1], 12, 0.5, 2)], { try $0[0] / $0[1] }, { Reference.binary($0[0], $0[1], /) }),
    OpCase("power", [r([4, 3], 13, 0.5, 2), r([3], 14)], { try $0[0].raised(to: $0[1]) }, { Reference.binary($0[0], $0[1], Foundation.pow) }),
    OpCase("negate", [r([7, 13], 15)], { $0[0].negated() }, { Reference.unary($0[0], -) }),
    OpCase("exp", [r([7, 13], 16)], { $0[0].exp() }, { Reference.unary($0[0], Foundation.exp) }),
    OpCase("log", [r([7, 13], 17, 0.2, 3)], { $0[0].log() }, { Reference.unary($0[0], Foundation.log) }),
    OpCase("sqrt", [r([7, 13], 18, 0.2, 3)], { $0[0].sqrt() }, { Reference.unary($0[0], Foundation.sqrt) }),
    OpCase("relu", [awayFromZero([7, 13], 19)], { $0[0].relu() }, { Reference.unary($0[0]) { max($0, 0) } }),
    OpCase("sigmoid", [r([7, 13], 20, -4, 4)], { $0[0].sigmoid() }, { Reference.unary($0[0]) { 1 / (1 + Foundation.exp(-$0)) } }),
    OpCase("tanh", [r([7, 13], 21, -3, 3)], { $0[0].tanh() }, { Reference.unary($0[0], Foundation.tanh) }),
    OpCase("sum axis 1", [r([7, 13, 5], 22)], { try $0[0].sum(alongAxes: [1]) }, { Reference.reduce($0[0], axes: [1], keep: false, initial: 0, +) }),
    OpCase("sum axes 0,2 kept", [r([7, 13, 5], 23)], { try $0[0].sum(alongAxes: [0, -1], keepingDimensions: true) }, { Reference.reduce($0[0], axes: [0, 2], keep: true, initial: 0, +) }),
    OpCase("sum all", [r([7, 13, 5], 24)], { try $0[0].sum() }, { Reference.reduce($0[0], axes: [0, 1, 2], keep: false, initial: 0, +) }),
    OpCase("mean last axis", [r([7, 13], 25)], { try $0[0].mean(alongAxes: [-1]) }, { Reference.unary(Reference.reduce($0[0], axes: [1], keep: false, initial: 0, +)) { $0 / 13 } }),
    OpCase("max axis 1", [r([7, 13, 5], 26)], { try $0[0].max(alongAxes: [1]) }, { Reference.reduce($0[0], axes: [1], keep: false, initial: -.infinity, max) }),
    OpCase("max all", [r([3, 4], 27)], { try $0[0].max() }, { Reference.reduce($0[0], axes: [0, 1], keep: false, initial: -.infinity, max) }),
    OpCase("matmul 1x1", [r([1, 1], 28), r([1, 1], 29)], { try $0[0].matmul($0[1]) }, { Reference.matmul($0[0], $0[1]) }),
    OpCase("matmul 7x13 by 13x5", [r([7, 13], 30), r([13, 5], 31)], { try $0[0].matmul($0[1]) }, { Reference.matmul($0[0], $0[1]) }),
    OpCase("matmul 7x17 by 17x19", [r([7, 17], 32), r([17, 19], 33)], { try $0[0].matmul($0[1]) }, { Reference.matmul($0[0], $0[1]) }),
    OpCase("matmul batched 2x5x3 by 3x4", [r([2, 5, 3], 34), r([3, 4], 35)], { try $0[0].matmul($0[1]) }, { Reference.matmul($0[0], $0[1]) }),
    OpCase("matmul broadcast batch", [r([2, 1, 3, 4], 36), r([3, 4, 2], 37)], { try $0[0].matmul($0[1]) }, { Reference.matmul($0[0], $0[1]) }),
    OpCase("matmul transposing self", [r([13, 7], 60), r([13, 5], 61)], { try $0[0].matmul($0[1], transposingSelf: true) },
           { Reference.matmul(Reference.permute($0[0], [1, 0]), $0[1]) }),
    OpCase("matmul transposing other", [r([7, 13], 62), r([5, 13], 63)], { try $0[0].matmul($0[1], transposingOther: true) },
           { Reference.matmul($0[0], Reference.permute($0[1], [1, 0])) }),
    OpCase("matmul transposing both", [r([13, 7], 64), r([5, 13], 65)], { try $0[0].matmul($0[1], transposingSelf: true, transposingOther: true) },
           { Reference.matmul(Reference.permute($0[0], [1, 0]), Reference.permute($0[1], [1, 0])) }),
    OpCase("matmul of a transpose", [r([13, 7], 38), r([13, 5], 39)], { try $0[0].transposed().matmul($0[1]) }, { Reference.matmul(Reference.permute($0[0], [1, 0]), $0[1]) }),
    OpCase("conv2d 3x3 pad 1", [r([2, 3, 5, 6], 40), r([4, 3, 3, 3], 41), r([4], 42)],
           { try $0[0].conv2d(weight: $0[1], bias: $0[2], options: Conv2DOptions(padding: 1)) },
           { Reference.conv2d($0[0], $0[1], $0[2], stride: (1, 1), padding: (1, 1), dilation: (1, 1)) }),
    OpCase("conv2d stride 2 dilation 2 no bias", [r([1, 2, 9, 8], 43), r([3, 2, 2, 3], 44)],
           { try $0[0].conv2d(weight: $0[1], options: Conv2DOptions(stride: 2, padding: Size2D(height: 0, width: 2), dilation: 2)) },
           { Reference.conv2d($0[0], $0[1], nil, stride: (2, 2), padding: (0, 2), dilation: (2, 2)) }),
    OpCase("conv2d 1x1 kernel", [r([3, 5, 2, 2], 45), r([7, 5, 1, 1], 46)],
           { try $0[0].conv2d(weight: $0[1]) },
           { Reference.conv2d($0[0], $0[1], nil, stride: (1, 1), padding: (0, 0), dilation: (1, 1)) }),
    OpCase("maxPool2d 2x2", [r([2, 3, 6, 5], 47)], { try $0[0].maxPool2d(Pool2DOptions(kernel: 2)) },
           { Reference.pool($0[0], kernel: (2, 2), stride: (2, 2), padding: (0, 0), average: false) }),
    OpCase("maxPool2d 2x2, 7 outputs wide", [r([1, 2, 14, 15], 57)], { try $0[0].maxPool2d(Pool2DOptions(kernel: 2)) },
           { Reference.pool($0[0], kernel: (2, 2), stride: (2, 2), padding: (0, 0), average: false) }),
    OpCase("maxPool2d 2x2, 9 outputs wide", [r([2, 1, 4, 19], 58)], { try $0[0].maxPool2d(Pool2DOptions(kernel: 2)) },
           { Reference.pool($0[0], kernel: (2, 2), stride: (2, 2), padding: (0, 0), average: false) }),
    OpCase("maxPool2d 3x3 stride 2 pad 1", [r([1, 2, 7, 7], 48)], { try $0[0].maxPool2d(Pool2DOptions(kernel: 3, stride: 2, padding: 1)) },
           { Reference.pool($0[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1), average: false) }),
    OpCase("avgPool2d 2x3 pad", [r([2, 2, 5, 7], 49)], { try $0[0].avgPool2d(Pool2DOptions(kernel: Size2D(height: 2, width: 3), stride: 1, padding: Size2D(height: 1, width: 1))) },
           { Reference.pool($0[0], kernel: (2, 3), stride: (1, 1), padding: (1, 1), average: true) }),
    OpCase("softmax last axis", [r([3, 7], 50, -3, 3)], { try $0[0].softmax() }, { Reference.softmax($0[0], axis: 1, log: false) }),
    OpCase("softmax axis 0", [r([4, 3, 2], 51, -3, 3)], { try $0[0].softmax(alongAxis: 0) }, { Reference.softmax($0[0], axis: 0, log: false) }),
    OpCase("logSoftmax", [r([5, 11], 52, -5, 5)], { try $0[0].logSoftmax() }, { Reference.softmax($0[0], axis: 1, log: true) }),
    OpCase("crossEntropy", [r([6, 7], 53, -3, 3), labels(6, classes: 7)], differentiable: [0],
           { try $0[0].crossEntropy(labels: $0[1]) }, { Reference.crossEntropy($0[0], $0[1]) }),
    OpCase("crossEntropy batch 1", [r([1, 10], 54, -3, 3), labels(1, classes: 10)], differentiable: [0],
           { try $0[0].crossEntropy(labels: $0[1]) }, { Reference.crossEntropy($0[0], $0[1]) }),
    OpCase("reshape with -1", [r([4, 6], 55)], { try $0[0].reshaped([2, -1, 3]) }, { Ref(shape: [2, 4, 3], data: $0[0].data) }),
    OpCase("permute", [r([2, 3, 4], 56)], { try $0[0].permuted([2, 0, 1]) }, { Reference.permute($0[0], [2, 0, 1]) }),
    OpCase("slice rows", [r([5, 3], 57)], { try $0[0].slice(1..<4) }, { Ref(shape: [3, 3], data: Array($0[0].data[3..<12])) }),
    OpCase("concatenate axis 1", [r([2, 3], 58), r([2, 1], 59)], { try Tensor.concatenate($0, alongAxis: 1) },
           { x in Ref([2, 4]) { $0[1] < 3 ? x[0][[$0[0], $0[1]]] : x[1][[$0[0], 0]] } }),
]
