import Foundation

/// A file in the IDX format MNIST uses: a big-endian magic (two zero bytes, a type code, the
/// number of dimensions), one big-endian UInt32 per dimension, then the data. Only unsigned
/// bytes (type 0x08) are read, which is what MNIST holds.
public struct IDXFile: Sendable {
    /// The dimensions, e.g. [60000, 28, 28].
    public let dimensions: [Int]
    /// The data bytes, row-major.
    public let bytes: [UInt8]

    /// Parses IDX bytes (already decompressed); `name` is used in errors.
    ///
    /// - Throws: ``DataError`` (`.malformedFile`) for a bad magic, a type other than bytes,
    ///   or a size that disagrees with the dimensions.
    public init(parsing data: Data, name: String) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else {
            throw DataError.malformed(name, "\(bytes.count) bytes is too short for an IDX header")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.malformed(name, "bad magic \(bytes.prefix(4).map { String(format: "%02x", $0) }.joined()) (not an IDX file)")
        }
        guard bytes[2] == 0x08 else {
            throw DataError.malformed(name, "element type 0x\(String(bytes[2], radix: 16)) is not unsigned bytes (0x08)")
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= 4, bytes.count >= 4 + 4 * rank else {
            throw DataError.malformed(name, "header is truncated or has \(rank) dimensions")
        }
        var dimensions: [Int] = []
        var expected = 1
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let dimension = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            dimensions.append(dimension)
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 1 << 32 else { throw DataError.malformed(name, "dimensions \(dimensions) are absurdly large") }
            expected = product
        }
        let headerBytes = 4 + 4 * rank
        guard bytes.count - headerBytes == expected else {
            throw DataError.malformed(name, "dimensions \(dimensions) need \(expected) data bytes but the file has \(bytes.count - headerBytes) (truncated or wrong file)")
        }
        self.dimensions = dimensions
        self.bytes = Array(bytes[headerBytes...])
    }

    /// Reads an IDX file, gunzipping it when it is compressed.
    ///
    /// - Throws: ``DataError`` when the file is missing, corrupt or malformed.
    public init(contentsOf url: URL) throws {
        let raw: Data
        do {
            raw = try Data(contentsOf: url)
        } catch {
            throw DataError(.notFound, "\(url.path): cannot be read (\(error.localizedDescription))")
        }
        let data = Gzip.isCompressed(raw) ? try Gzip.decompress(raw, name: url.path) : raw
        try self.init(parsing: data, name: url.path)
    }
}
