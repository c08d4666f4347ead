import CZlib
import Foundation

/// Deflate decompression through zlib, streamed: the output is handed over a chunk at a time, so
/// a caller that keeps a few rows of a large compressed array never holds all of it.
enum Inflate {
    /// How the deflate stream is wrapped.
    enum Wrapping {
        /// A gzip file: header and trailer.
        case gzip
        /// Bare deflate, as in a zip entry.
        case raw

        var windowBits: Int32 { self == .gzip ? 16 + 15 : -15 }
    }

    /// Decompresses `data`, passing each chunk of output to `visit` (which returns false to stop
    /// early), refusing to produce more than `limit` bytes.
    ///
    /// - Throws: ``DataError`` (`.decompression`) naming `name` for a corrupt or truncated stream
    ///   or output beyond `limit`; whatever `visit` throws.
    static func stream(_ data: Data, wrapping: Wrapping, name: String, limit: Int,
                       visit: (UnsafeRawBufferPointer) throws -> Bool) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, wrapping.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.decompression, "\(name): zlib could not start")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status: Int32 = Z_OK
        var produced = 0
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            repeat {
                let count = buffer.withUnsafeMutableBufferPointer { out -> Int in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunk - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw DataError(.decompression, "\(name): corrupt compressed data (zlib status \(status))")
                }
                produced += count
                guard produced <= limit else {
                    throw DataError(.decompression, "\(name): decompresses to more than \(limit) bytes")
                }
                let goOn = try buffer.withUnsafeBytes { try visit(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if !goOn { return }
                if status == Z_OK && count == 0 && stream.avail_in == 0 {
                    throw DataError(.decompression, "\(name): the compressed data is truncated")
                }
            } while status != Z_STREAM_END
        }
    }
}
