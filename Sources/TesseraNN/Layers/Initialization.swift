import Foundation
import TesseraTensor

/// How a weight tensor is initialized from its fan-in and fan-out.
public enum Initialization: String, Sendable, Codable, CaseIterable {
    /// PyTorch's default for Linear and Conv2d: Kaiming-uniform with a = √5, that is
    /// U(-1/√fanIn, 1/√fanIn); biases use the same bound.
    case pytorchDefault
    /// Kaiming (He) normal for ReLU networks: N(0, 2/fanIn).
    case kaimingNormal
    /// Xavier (Glorot) uniform: U(-b, b) with b = √(6 / (fanIn + fanOut)).
    case xavierUniform

    func weight(_ shape: [Int], fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) throws -> Tensor {
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            return try Tensor.uniform(shape, low: -bound, high: bound, using: &generator)
        case .kaimingNormal:
            return try Tensor.normal(shape, standardDeviation: (2 / Float(max(fanIn, 1))).squareRoot(), using: &generator)
        case .xavierUniform:
            let bound = (6 / Float(max(fanIn + fanOut, 1))).squareRoot()
            return try Tensor.uniform(shape, low: -bound, high: bound, using: &generator)
        }
    }

    func bias(_ count: Int, fanIn: Int, using generator: inout SeededGenerator) throws -> Tensor {
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            return try Tensor.uniform([count], low: -bound, high: bound, using: &generator)
        case .kaimingNormal, .xavierUniform:
            return try Tensor.zeros([count])
        }
    }
}
