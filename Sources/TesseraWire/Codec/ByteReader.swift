import Foundation

/// Reads little-endian fields from a header frame, checking every length against the bytes
/// that are there and against the limits before anything is allocated. A field's name is
/// made only for an error: every message reads dozens.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    let limits: WireLimits

    init(_ bytes: [UInt8], offset: Int = 0, limits: WireLimits) {
        self.bytes = bytes
        self.offset = offset
        self.limits = limits
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ field: @autoclosure () -> String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw WireError(.truncated, "\(field()) needs \(count) bytes at offset \(offset) but only \(remaining) remain")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws -> T {
        let slice = try take(MemoryLayout<T>.size, field())
        return slice.reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    mutating func u8(_ field: @autoclosure () -> String) throws -> UInt8 { try integer(UInt8.self, field()) }
    mutating func u16(_ field: @autoclosure () -> String) throws -> UInt16 { try integer(UInt16.self, field()) }
    mutating func u32(_ field: @autoclosure () -> String) throws -> UInt32 { try integer(UInt32.self, field()) }
    mutating func u64(_ field: @autoclosure () -> String) throws -> UInt64 { try integer(UInt64.self, field()) }
    mutating func i8(_ field: @autoclosure () -> String) throws -> Int8 { Int8(bitPattern: try u8(field())) }
    mutating func i32(_ field: @autoclosure () -> String) throws -> Int32 { Int32(bitPattern: try u32(field())) }
    mutating func f64(_ field: @autoclosure () -> String) throws -> Double { Double(bitPattern: try u64(field())) }

    mutating func bool(_ field: @autoclosure () -> String) throws -> Bool {
        let start = offset
        switch try u8(field()) {
        case 0: return false
        case 1: return true
        case let other: throw WireError(.malformed, "\(field()) at offset \(start) is \(other), not 0 or 1")
        }
    }

    /// A u32 length-prefixed UTF-8 string.
    mutating func string(_ field: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = Int(try u32("\(field()) length"))
        guard length <= limits.maximumStringBytes else {
            throw WireError(.limitExceeded, "\(field()) at offset \(start) is \(length) bytes; the limit is \(limits.maximumStringBytes)")
        }
        guard let text = String(validating: try take(length, field()), as: UTF8.self) else {
            throw WireError(.malformed, "\(field()) at offset \(start) is not valid UTF-8")
        }
        return text
    }

    /// A u32 list count, checked against the list limit and against the bytes left (each
    /// entry takes at least `minimumEntryBytes`).
    mutating func count(_ field: @autoclosure () -> String, minimumEntryBytes: Int = 1) throws -> Int {
        let start = offset
        let count = Int(try u32("\(field()) count"))
        guard count <= limits.maximumListCount else {
            throw WireError(.limitExceeded, "\(field()) at offset \(start) has \(count) entries; the limit is \(limits.maximumListCount)")
        }
        guard count * minimumEntryBytes <= remaining else {
            throw WireError(.truncated, "\(field()) at offset \(start) claims \(count) entries but only \(remaining) bytes remain")
        }
        return count
    }
}
