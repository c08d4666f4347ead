import CZlib
import Foundation

/// gzip decompression through zlib.
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
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer.
        guard inflateInit2_(&stream, 16 + 15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.decompression, "\(name): zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        // gzip's trailer holds the uncompressed size modulo 2^32: reserve it (within the limit)
        // so the output is not reallocated and copied as it grows.
        if data.count >= 18 {
            let size = data.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
            output.reserveCapacity(min(size, limit))
        }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status: Int32 = Z_OK
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            repeat {
                let produced = buffer.withUnsafeMutableBufferPointer { out -> Int in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunk - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw DataError(.decompression, "\(name): corrupt gzip data (zlib status \(status))")
                }
                guard output.count + produced <= limit else {
                    throw DataError(.decompression, "\(name): decompresses to more than \(limit) bytes")
                }
                output.append(buffer, count: produced)
                if status == Z_OK && produced == 0 && stream.avail_in == 0 {
                    throw DataError(.decompression, "\(name): gzip stream is truncated")
                }
            } while status != Z_STREAM_END
        }
        return output
    }
}
