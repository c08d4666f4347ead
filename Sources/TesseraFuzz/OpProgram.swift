import Foundation
import TesseraTensor
import TesseraWire
import TesseraWorker

/// A random op program read from fuzz bytes: a few stored tensors of small but awkward shapes
/// (empty, size-1, long thin), then steps that apply ops with adversarial parameters (huge
/// paddings, kernels and reshape targets, out-of-range axes and slices, many-way concatenations)
/// to stored or missing ids. Every step must be carried out or refused with an error reply.
struct OpProgram {
    private var bytes: [UInt8]
    private var position = 0

    init(_ data: Data) {
        bytes = Array(data)
    }

    /// The next byte (0 once the input is used up).
    private mutating func byte() -> Int {
        defer { position += 1 }
        return position < bytes.count ? Int(bytes[position]) : 0
    }

    /// A size from a palette that mixes ordinary and hostile values.
    private mutating func size() -> Int {
        let palette = [0, 1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 255, 4096, 65_536, 1 << 20, Int(Int32.max), 1 << 40, -1]
        return palette[byte() % palette.count]
    }

    /// A small shape whose tensors can really be made (at most 4,096 elements).
    private mutating func smallShape() -> [Int] {
        let rank = byte() % 5
        var shape: [Int] = []
        for _ in 0..<rank { shape.append([0, 1, 2, 3, 4, 6, 8, 64, 4096][byte() % 9]) }
        for axis in shape.indices.reversed() where shape.reduce(1, *) > 4096 { shape[axis] = 1 }
        return shape
    }

    private mutating func op() -> Op {
        let axis = byte() % 9 - 4
        let axes: [Int]? = byte() % 3 == 0 ? nil : (0..<(byte() % 3)).map { _ in byte() % 9 - 4 }
        switch byte() % 24 {
        case 0: return .add
        case 1: return .subtract
        case 2: return .multiply
        case 3: return .divide
        case 4: return .power
        case 5: return [.negate, .exp, .log, .sqrt, .relu, .sigmoid, .tanh][byte() % 7]
        case 6: return .sum(axes: axes, keepDimensions: byte() % 2 == 0)
        case 7: return .mean(axes: axes, keepDimensions: byte() % 2 == 0)
        case 8: return .max(axes: axes, keepDimensions: byte() % 2 == 0)
        case 9: return .argmax(axis: axis, keepDimensions: byte() % 2 == 0)
        case 10: return .matmul
        case 11, 12:
            return .conv2d(Conv2DOptions(stride: Size2D(height: size(), width: size()), padding: Size2D(height: size(), width: size()),
                                         dilation: Size2D(height: size(), width: size())))
        case 13: return .maxPool2d(Pool2DOptions(kernel: Size2D(height: size(), width: size()), stride: Size2D(height: size(), width: size()),
                                                 padding: Size2D(height: size(), width: size())))
        case 14: return .avgPool2d(Pool2DOptions(kernel: Size2D(height: size(), width: size()), padding: Size2D(height: size(), width: size())))
        case 15: return .softmax(axis: axis)
        case 16: return .logSoftmax(axis: axis)
        case 17: return .crossEntropy
        case 18, 19: return .reshape((0..<(byte() % 5)).map { _ in size() })
        case 20: return .permute((0..<(byte() % 5)).map { _ in byte() % 9 - 4 })
        case 21:
            let (a, b) = (max(0, size()), max(0, size()))
            return .slice(min(a, b)..<max(a, b))
        default: return .concatenate(axis: axis)
        }
    }

    /// Stores a few tensors, then runs the steps on `service`; a trap or sanitizer report here
    /// is a bug.
    mutating func run(on service: inout WorkerService) {
        for id in 1...4 {
            let shape = smallShape()
            let count = shape.reduce(1, *)
            guard let tensor = try? Tensor((0..<count).map { Float($0 % 7) - 3 }, shape: shape) else { continue }
            _ = service.handle(.put(id: TensorID(id), tensor: tensor))
        }
        for _ in 0..<(1 + byte() % 8) {
            let op = op()
            let inputCount = if case .concatenate = op { byte() % 3 == 0 ? 65_536 : 1 + byte() % 4 } else { 1 + byte() % 3 }
            let inputs = (0..<inputCount).map { _ in TensorID(1 + byte() % 6) }
            let step = PlanStep(op: op, inputs: inputs, output: TensorID(1 + byte() % 6))
            _ = byte() % 2 == 0 ? service.handle(.exec(step)) : service.handle(.plan([step, step]))
        }
        if byte() % 4 == 0 {
            _ = service.handle(.requireGrad(id: 1))
            _ = service.handle(.backward(id: TensorID(1 + byte() % 6)))
        }
    }
}
