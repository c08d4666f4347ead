import Foundation

/// The central directory of a zip archive (what `numpy.savez` writes): each entry's name,
/// compression and where its data starts, with the zip64 fields that large `.npz` files use.
struct ZipDirectory: Sendable {
    /// One stored file.
    struct Entry: Sendable {
        /// Its name in the archive.
        let name: String
        /// Whether it is deflated (method 8) rather than stored (method 0).
        let isDeflated: Bool
        /// Its data: the stored bytes, or the deflated stream.
        let data: Data
        /// Its size once decompressed.
        let uncompressedSize: Int
    }

    /// The entries, in directory order.
    let entries: [Entry]

    /// Reads the directory of `archive` (mapped), naming `file` in errors.
    ///
    /// - Throws: ``DataError`` (`.malformedFile`) for an archive without an end record, a
    ///   truncated or inconsistent directory, an encrypted entry or a compression other than
    ///   stored and deflate.
    init(_ archive: Data, file: String) throws {
        func fail(_ reason: String) -> DataError { DataError.malformed(file, reason) }
        let reader = LittleEndianReader(archive)
        // The end record is in the last 22 + 65,535 bytes (its comment is at most that long).
        guard archive.count >= 22,
              let end = stride(from: archive.count - 22, through: max(0, archive.count - 22 - 65_535), by: -1)
                .first(where: { reader.uint32($0) == 0x0605_4B50 }) else {
            throw fail("no zip end record: not a .npz file, or truncated")
        }
        var count = Int(reader.uint16(end + 10) ?? 0)
        var directorySize = Int(reader.uint32(end + 12) ?? 0)
        var directoryStart = Int(reader.uint32(end + 16) ?? 0)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryStart == 0xFFFF_FFFF {
            // Zip64: a locator just before the end record points at the zip64 end record.
            guard end >= 20, reader.uint32(end - 20) == 0x0706_4B50, let record = reader.uint64(end - 12).map(Int.init),
                  reader.uint32(record) == 0x0606_4B50, let entries = reader.uint64(record + 32), let size = reader.uint64(record + 40),
                  let start = reader.uint64(record + 48), entries < 1 << 32, size < 1 << 40, start < 1 << 40 else {
                throw fail("a zip64 archive whose zip64 end record is missing or damaged (truncated?)")
            }
            (count, directorySize, directoryStart) = (Int(entries), Int(size), Int(start))
        }
        guard directoryStart + directorySize <= archive.count else {
            throw fail("the zip directory lies past the end of the file (truncated?)")
        }
        var entries: [Entry] = []
        var offset = directoryStart
        for _ in 0..<count {
            guard reader.uint32(offset) == 0x0201_4B50, let flags = reader.uint16(offset + 8), let method = reader.uint16(offset + 10),
                  var compressed = reader.uint32(offset + 20).map(Int.init), var uncompressed = reader.uint32(offset + 24).map(Int.init),
                  let nameLength = reader.uint16(offset + 28).map(Int.init), let extraLength = reader.uint16(offset + 30).map(Int.init),
                  let commentLength = reader.uint16(offset + 32).map(Int.init), var local = reader.uint32(offset + 42).map(Int.init),
                  let nameBytes = reader.bytes(offset + 46, nameLength) else {
                throw fail("zip directory entry \(entries.count + 1) is damaged (truncated?)")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            // Zip64 extra field: the 64-bit sizes and offset, in this order, for each that is 0xFFFFFFFF.
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd, let tag = reader.uint16(extra), let length = reader.uint16(extra + 2).map(Int.init) {
                if tag == 0x0001 {
                    var field = extra + 4
                    func widen(_ value: inout Int) throws {
                        guard value == 0xFFFF_FFFF else { return }
                        guard let wide = reader.uint64(field), wide < 1 << 40 else { throw fail("entry \(name): damaged zip64 sizes") }
                        value = Int(wide)
                        field += 8
                    }
                    try widen(&uncompressed)
                    try widen(&compressed)
                    try widen(&local)
                }
                extra += 4 + length
            }
            guard flags & 1 == 0 else { throw fail("entry \(name) is encrypted") }
            guard method == 0 || method == 8 else {
                throw fail("entry \(name) uses zip compression method \(method); save with numpy.savez or numpy.savez_compressed")
            }
            guard reader.uint32(local) == 0x0403_4B50, let localName = reader.uint16(local + 26).map(Int.init),
                  let localExtra = reader.uint16(local + 28).map(Int.init) else {
                throw fail("entry \(name): its local header is missing (truncated?)")
            }
            let start = local + 30 + localName + localExtra
            guard start + compressed <= archive.count, method == 8 || compressed == uncompressed else {
                throw fail("entry \(name) needs \(compressed) bytes past offset \(start), but the file has \(archive.count) (truncated?)")
            }
            // A slice: it shares the mapping, so nothing is read until a row is.
            let data = archive[(archive.startIndex + start)..<(archive.startIndex + start + compressed)]
            entries.append(Entry(name: name, isDeflated: method == 8, data: data, uncompressedSize: uncompressed))
            offset += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

}

/// Bounds-checked little-endian reads from a byte buffer: nil past its end.
struct LittleEndianReader {
    let data: Data

    init(_ data: Data) { self.data = data }

    func bytes(_ offset: Int, _ count: Int) -> Data? {
        guard offset >= 0, count >= 0, offset + count <= data.count else { return nil }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + offset + count))
    }

    private func value<Value: FixedWidthInteger>(_ offset: Int, as _: Value.Type) -> Value? {
        guard offset >= 0, offset + MemoryLayout<Value>.size <= data.count else { return nil }
        return data.withUnsafeBytes { Value(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Value.self)) }
    }

    func uint16(_ offset: Int) -> UInt16? { value(offset, as: UInt16.self) }
    func uint32(_ offset: Int) -> UInt32? { value(offset, as: UInt32.self) }
    func uint64(_ offset: Int) -> UInt64? { value(offset, as: UInt64.self) }
}
