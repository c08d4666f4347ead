import Foundation

/// Appends little-endian fields to a header frame.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { append(value.littleEndian) }
    mutating func u32(_ value: UInt32) { append(value.littleEndian) }
    mutating func u64(_ value: UInt64) { append(value.littleEndian) }
    mutating func i8(_ value: Int8) { bytes.append(UInt8(bitPattern: value)) }
    mutating func i32(_ value: Int32) { append(value.littleEndian) }
    mutating func f64(_ value: Double) { append(value.bitPattern.littleEndian) }

    /// A u32 byte length, then the UTF-8 bytes.
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u32(UInt32(utf8.count))
        bytes += utf8
    }

    /// A count as u32 (lists are bounded far below 2³² by ``WireLimits``).
    mutating func count(_ value: Int) { u32(UInt32(value)) }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }
}
