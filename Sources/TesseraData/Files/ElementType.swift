/// The element type of an array in a data file, as NumPy (`<f4`, `|u1`) and safetensors (`F32`,
/// `U8`) spell it. Little-endian only, which is what both write on every common machine.
enum ElementType: String, Sendable, Equatable {
    case bool, uint8, int8, uint16, int16, uint32, int32, uint64, int64, float16, float32, float64

    /// Bytes per element.
    var size: Int {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .float16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    /// Whether it holds integers (labels and client ids must).
    var isInteger: Bool { self != .float16 && self != .float32 && self != .float64 }

    /// The type a NumPy `descr` names (`<f4`, `|u1`, `<i8`, `|b1`); nil for big-endian,
    /// structured or other types.
    init?(numpy descr: String) {
        let codes: [String: ElementType] = [
            "|b1": .bool, "|u1": .uint8, "|i1": .int8, "<u2": .uint16, "<i2": .int16, "<u4": .uint32, "<i4": .int32,
            "<u8": .uint64, "<i8": .int64, "<f2": .float16, "<f4": .float32, "<f8": .float64,
        ]
        guard let type = codes[descr] else { return nil }
        self = type
    }

    /// The type a safetensors `dtype` names; nil for the bfloat16 and 8-bit float types.
    init?(safetensors dtype: String) {
        let codes: [String: ElementType] = [
            "BOOL": .bool, "U8": .uint8, "I8": .int8, "U16": .uint16, "I16": .int16, "U32": .uint32, "I32": .int32,
            "U64": .uint64, "I64": .int64, "F16": .float16, "F32": .float32, "F64": .float64,
        ]
        guard let type = codes[dtype] else { return nil }
        self = type
    }

    /// The little-endian elements of `raw` as floats.
    func floats(_ raw: UnsafeRawBufferPointer) -> [Float] {
        let count = raw.count / size
        func read<Stored: FixedWidthInteger>(_: Stored.Type, _ convert: (Stored) -> Float) -> [Float] {
            (0..<count).map { convert(Stored(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: Stored.self))) }
        }
        switch self {
        case .bool, .uint8: return raw.map { Float($0) }
        case .int8: return raw.map { Float(Int8(bitPattern: $0)) }
        case .uint16: return read(UInt16.self) { Float($0) }
        case .int16: return read(Int16.self) { Float($0) }
        case .uint32: return read(UInt32.self) { Float($0) }
        case .int32: return read(Int32.self) { Float($0) }
        case .uint64: return read(UInt64.self) { Float($0) }
        case .int64: return read(Int64.self) { Float($0) }
        case .float16: return read(UInt16.self) { Float(Float16(bitPattern: $0)) }
        case .float32: return read(UInt32.self) { Float(bitPattern: $0) }
        case .float64: return read(UInt64.self) { Float(Double(bitPattern: $0)) }
        }
    }

    /// The little-endian integer elements of `raw` (nil for a float type; unsigned 64-bit
    /// values above `Int64.max` become negative, which every check of ids and labels refuses).
    func integers(_ raw: UnsafeRawBufferPointer) -> [Int64]? {
        let count = raw.count / size
        func read<Stored: FixedWidthInteger>(_: Stored.Type) -> [Int64] {
            (0..<count).map { Int64(truncatingIfNeeded: Stored(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: Stored.self))) }
        }
        switch self {
        case .bool, .uint8: return raw.map { Int64($0) }
        case .int8: return raw.map { Int64(Int8(bitPattern: $0)) }
        case .uint16: return read(UInt16.self)
        case .int16: return read(Int16.self)
        case .uint32: return read(UInt32.self)
        case .int32: return read(Int32.self)
        case .uint64: return read(UInt64.self)
        case .int64: return read(Int64.self)
        case .float16, .float32, .float64: return nil
        }
    }
}
