import TesseraTensor

// Ops on the wire: a code byte, then the op's parameters. Codes are part of the protocol
// (docs/PROTOCOL.md, "Ops"); never renumber them.

extension Op {
    var wireCode: UInt8 {
        switch self {
        case .add: 1
        case .subtract: 2
        case .multiply: 3
        case .divide: 4
        case .power: 5
        case .negate: 6
        case .exp: 7
        case .log: 8
        case .sqrt: 9
        case .relu: 10
        case .sigmoid: 11
        case .tanh: 12
        case .sum: 20
        case .mean: 21
        case .max: 22
        case .argmax: 23
        case .matmul: 30
        case .conv2d: 31
        case .maxPool2d: 32
        case .avgPool2d: 33
        case .softmax: 40
        case .logSoftmax: 41
        case .crossEntropy: 42
        case .reshape: 50
        case .permute: 51
        case .slice: 52
        case .concatenate: 53
        }
    }

    func encode(into writer: inout ByteWriter) {
        writer.u8(wireCode)
        switch self {
        case .add, .subtract, .multiply, .divide, .power, .negate, .exp, .log, .sqrt, .relu, .sigmoid, .tanh,
             .matmul, .crossEntropy:
            break
        case let .sum(axes, keep), let .mean(axes, keep), let .max(axes, keep):
            if let axes {
                writer.u8(1)
                writer.count(axes.count)
                for axis in axes { writer.i32(Int32(clamping: axis)) }
            } else {
                writer.u8(0)
            }
            writer.u8(keep ? 1 : 0)
        case let .argmax(axis, keep):
            writer.i32(Int32(clamping: axis))
            writer.u8(keep ? 1 : 0)
        case let .conv2d(options):
            for size in [options.stride, options.padding, options.dilation] { Self.encode(size, into: &writer) }
        case let .maxPool2d(options), let .avgPool2d(options):
            for size in [options.kernel, options.stride, options.padding] { Self.encode(size, into: &writer) }
        case let .softmax(axis), let .logSoftmax(axis), let .concatenate(axis):
            writer.i32(Int32(clamping: axis))
        case let .reshape(dims), let .permute(dims):
            writer.count(dims.count)
            for dim in dims { writer.i32(Int32(clamping: dim)) }
        case let .slice(range):
            writer.u32(UInt32(clamping: range.lowerBound))
            writer.u32(UInt32(clamping: range.upperBound))
        }
    }

    private static func encode(_ size: Size2D, into writer: inout ByteWriter) {
        writer.u32(UInt32(clamping: size.height))
        writer.u32(UInt32(clamping: size.width))
    }

    static func decode(from reader: inout ByteReader) throws -> Op {
        let start = reader.offset
        let code = try reader.u8("op code")
        switch code {
        case 1: return .add
        case 2: return .subtract
        case 3: return .multiply
        case 4: return .divide
        case 5: return .power
        case 6: return .negate
        case 7: return .exp
        case 8: return .log
        case 9: return .sqrt
        case 10: return .relu
        case 11: return .sigmoid
        case 12: return .tanh
        case 20, 21, 22:
            let axes: [Int]?
            if try reader.bool("axes present") {
                let count = try reader.count("axes", minimumEntryBytes: 4)
                axes = try (0..<count).map { _ in Int(try reader.i32("axis")) }
            } else {
                axes = nil
            }
            let keep = try reader.bool("keep dimensions")
            return code == 20 ? .sum(axes: axes, keepDimensions: keep)
                : code == 21 ? .mean(axes: axes, keepDimensions: keep) : .max(axes: axes, keepDimensions: keep)
        case 23:
            return .argmax(axis: Int(try reader.i32("axis")), keepDimensions: try reader.bool("keep dimensions"))
        case 30: return .matmul
        case 31:
            return .conv2d(Conv2DOptions(stride: try size(&reader, "stride"), padding: try size(&reader, "padding"),
                                         dilation: try size(&reader, "dilation")))
        case 32, 33:
            let options = Pool2DOptions(kernel: try size(&reader, "kernel"), stride: try size(&reader, "stride"),
                                        padding: try size(&reader, "padding"))
            return code == 32 ? .maxPool2d(options) : .avgPool2d(options)
        case 40: return .softmax(axis: Int(try reader.i32("axis")))
        case 41: return .logSoftmax(axis: Int(try reader.i32("axis")))
        case 42: return .crossEntropy
        case 50, 51:
            let count = try reader.count(code == 50 ? "shape" : "axes", minimumEntryBytes: 4)
            guard count <= reader.limits.maximumRank else {
                throw WireError(.limitExceeded, "op at offset \(start) has \(count) dimensions; the limit is \(reader.limits.maximumRank)")
            }
            let dims = try (0..<count).map { _ in Int(try reader.i32("dimension")) }
            return code == 50 ? .reshape(dims) : .permute(dims)
        case 52:
            let lower = Int(try reader.u32("slice start")), upper = Int(try reader.u32("slice end"))
            guard lower <= upper else {
                throw WireError(.malformed, "slice at offset \(start) ends (\(upper)) before it starts (\(lower))")
            }
            return .slice(lower..<upper)
        case 53: return .concatenate(axis: Int(try reader.i32("axis")))
        default:
            throw WireError(.unknownOp, "op code \(code) at offset \(start) is not a known op")
        }
    }

    private static func size(_ reader: inout ByteReader, _ field: String) throws -> Size2D {
        let start = reader.offset
        let height = Int(try reader.u32("\(field) height")), width = Int(try reader.u32("\(field) width"))
        // Window sizes beyond 2^16 cannot fit any tensor the limits allow; reject them early.
        guard height <= 1 << 16, width <= 1 << 16 else {
            throw WireError(.limitExceeded, "\(field) \(height)x\(width) at offset \(start) is absurdly large")
        }
        return Size2D(height: height, width: width)
    }
}
