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
        // Header fields are read from `data` directly; the payload is copied once, into `bytes`.
        func byte(_ offset: Int) -> UInt8 { data[data.startIndex + offset] }
        guard data.count >= 4 else {
            throw DataError.malformed(name, "\(data.count) bytes is too short for an IDX header")
        }
        guard byte(0) == 0, byte(1) == 0 else {
            throw DataError.malformed(name, "bad magic \((0..<4).map { String(format: "%02x", byte($0)) }.joined()) (not an IDX file)")
        }
        guard byte(2) == 0x08 else {
            throw DataError.malformed(name, "element type 0x\(String(byte(2), radix: 16)) is not unsigned bytes (0x08)")
        }
        let rank = Int(byte(3))
        guard rank >= 1, rank <= 4, data.count >= 4 + 4 * rank else {
            throw DataError.malformed(name, "header is truncated or has \(rank) dimensions")
        }
        var dimensions: [Int] = []
        var expected = 1
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let dimension = (0..<4).reduce(0) { $0 << 8 | Int(byte(offset + $1)) }
            dimensions.append(dimension)
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 1 << 32 else { throw DataError.malformed(name, "dimensions \(dimensions) are absurdly large") }
            expected = product
        }
        let headerBytes = 4 + 4 * rank
        guard data.count - headerBytes == expected else {
            throw DataError.malformed(name, "dimensions \(dimensions) need \(expected) data bytes but the file has \(data.count - headerBytes) (truncated or wrong file)")
        }
        self.dimensions = dimensions
        self.bytes = [UInt8](data[(data.startIndex + headerBytes)...])
    }

    /// Reads an IDX file, gunzipping it when it is compressed (through `cache`, so only the
    /// first process to read a gzipped file inflates it).
    ///
    /// - Throws: ``DataError`` when the file is missing, corrupt or malformed.
    public init(contentsOf url: URL, cache: DecompressedCache = .standard) throws {
        if let cached = cache.read(for: url) {
            if let file = try? IDXFile(parsing: cached, name: url.path) {
                self = file
                return
            }
            cache.remove(for: url)
        }
        let raw: Data
        do {
            raw = try Data(contentsOf: url)
        } catch {
            throw DataError(.notFound, "\(url.path): cannot be read (\(error.localizedDescription))")
        }
        guard Gzip.isCompressed(raw) else {
            try self.init(parsing: raw, name: url.path)
            return
        }
        let data = try Gzip.decompress(raw, name: url.path)
        try self.init(parsing: data, name: url.path)
        cache.store(data, for: url)
    }
}
