import TesseraTensor

// Ring ops on the wire: a code byte, then the op's parameters (docs/PROTOCOL.md, "Ring ops").
// Codes are part of the protocol; never renumber them.

extension RingOp {
    var wireCode: UInt8 {
        switch self {
        case .add: 1
        case .subtract: 2
        case .multiply: 3
        case .matmul: 4
        case .negate: 5
        case .truncate: 6
        case .random: 7
        case .encode: 8
        case .randomLike: 9
        }
    }

    func encode(into writer: inout ByteWriter) {
        writer.u8(wireCode)
        switch self {
        case .add, .subtract, .multiply, .matmul, .negate, .randomLike:
            break
        case let .truncate(bits, party):
            writer.u8(UInt8(clamping: bits))
            writer.u8(UInt8(clamping: party))
        case let .random(shape):
            writer.u8(UInt8(clamping: shape.count))
            for dimension in shape { writer.u32(UInt32(clamping: dimension)) }
        case let .encode(bits):
            writer.u8(UInt8(clamping: bits))
        }
    }

    static func decode(from reader: inout ByteReader) throws -> RingOp {
        let start = reader.offset
        let code = try reader.u8("ring op code")
        switch code {
        case 1: return .add
        case 2: return .subtract
        case 3: return .multiply
        case 4: return .matmul
        case 5: return .negate
        case 6: return .truncate(bits: Int(try reader.u8("truncated bits")), party: Int(try reader.u8("party")))
        case 7:
            let rank = Int(try reader.u8("random shape rank"))
            return .random(shape: try (0..<rank).map { _ in Int(try reader.u32("random shape dimension")) })
        case 8: return .encode(fractionBits: Int(try reader.u8("fraction bits")))
        case 9: return .randomLike
        default:
            throw WireError(.unknownOp, "ring op code \(code) at offset \(start) is not a known ring op")
        }
    }
}
