import Foundation

/// The header of a safetensors file (Hugging Face): an 8-byte little-endian length, then a JSON
/// object mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// into the bytes after the header) and an optional `"__metadata__"` string map.
///
/// Parsed here, below both the checkpoint reader (TesseraNN) and the dataset reader
/// (TesseraData), which read the format and may not import each other. It checks every entry's
/// shape and byte range against the file; reading the values is the caller's.
public struct SafeTensorsHeader: Sendable {
    /// One tensor's entry.
    public struct Entry: Sendable, Equatable {
        /// Its name.
        public let name: String
        /// Its element type as the format spells it (`F32`, `U8`, `I64`, ...).
        public let dtype: String
        /// Its shape.
        public let shape: [Int]
        /// Its bytes within the file (not the data section): `dataStart + begin ..< dataStart + end`.
        public let bytes: Range<Int>
    }

    /// Why a file is not a well-formed safetensors file, in a phrase.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        /// The reason.
        public let description: String
    }

    /// Largest header accepted (the format's own limit is 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// Bytes per element of each dtype the format defines.
    public static let elementBytes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
        "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8,
    ]

    /// The entries, in data order.
    public let entries: [Entry]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Where the data section starts in the file.
    public let dataStart: Int

    /// Parses the header of `file`.
    ///
    /// - Throws: ``FormatError`` for a truncated file, a header that is not the format's JSON,
    ///   an unknown dtype, or byte ranges that do not hold their shapes within the file.
    public init(parsing file: Data) throws(FormatError) {
        func fail(_ reason: String) -> FormatError { FormatError(description: reason) }
        guard file.count >= 8 else { throw fail("\(file.count) bytes is shorter than the 8-byte header length") }
        let headerLength = file.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(min(Self.maximumHeaderBytes, file.count - 8)) else {
            throw fail("header length \(headerLength) exceeds the file (\(file.count) bytes): truncated, or not a safetensors file")
        }
        dataStart = 8 + Int(headerLength)
        let headerData = file.subdata(in: (file.startIndex + 8)..<(file.startIndex + dataStart))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = map
        }
        let dataLength = file.count - dataStart
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("entry '\(name)' needs dtype, shape and two data_offsets")
            }
            guard let size = Self.elementBytes[dtype] else { throw fail("entry '\(name)' has an unknown dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else { throw fail("entry '\(name)' has a bad shape \(shape)") }
            let (count, overflow) = shape.reduce((size, false)) { partial, dimension in
                let (product, overflowed) = partial.0.multipliedReportingOverflow(by: dimension)
                return (product, partial.1 || overflowed)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard !overflow, begin >= 0, end <= dataLength, end - begin == count else {
                throw fail("entry '\(name)': offsets \(offsets) do not hold \(dtype) \(shape) in \(dataLength) data bytes (truncated?)")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: (dataStart + begin)..<(dataStart + end)))
        }
        self.entries = entries.sorted { $0.bytes.lowerBound < $1.bytes.lowerBound }
        self.metadata = metadata
    }
}
