import Foundation

/// gzip files (MNIST's `.gz`), decompressed whole.
enum Gzip {
    /// Whether `data` starts with the gzip magic bytes.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed bytes of a gzip stream, refusing to produce more than `limit` bytes.
    ///
    /// - Throws: ``DataError`` (`.decompression`) for a corrupt or truncated stream, or output
    ///   beyond `limit`.
    static func decompress(_ data: Data, name: String, limit: Int = 1 << 30) throws -> Data {
        var output = Data()
        // gzip's trailer holds the uncompressed size modulo 2^32: reserve it (within the limit)
        // so the output is not reallocated and copied as it grows.
        if data.count >= 18 {
            let size = data.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
            output.reserveCapacity(min(size, limit))
        }
        try Inflate.stream(data, wrapping: .gzip, name: name, limit: limit) { chunk in
            output.append(contentsOf: chunk)
            return true
        }
        return output
    }
}
