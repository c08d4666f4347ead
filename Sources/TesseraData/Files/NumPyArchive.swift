import Foundation

/// A NumPy `.npz` file (`numpy.savez` or `savez_compressed`): a zip of `.npy` arrays, each a
/// magic, a Python-literal header (`{'descr': '<f4', 'fortran_order': False, 'shape': (N, 784), }`)
/// and the raw little-endian elements in C order.
enum NumPyArchive {
    /// Largest `.npy` header accepted (NumPy writes under 100 bytes; the format allows 4 GB).
    static let maximumHeaderBytes = 1 << 20

    /// The arrays of the archive at `url`, by name (without `.npy`), not yet read.
    ///
    /// - Throws: ``DataError`` naming the file and the array for a damaged archive, a header that
    ///   is not NumPy's, a type NumPy calls other than a little-endian number or bool, Fortran
    ///   order, or an array whose bytes do not fill its shape.
    static func arrays(at url: URL, data archive: Data) throws -> [String: StoredArray] {
        var arrays: [String: StoredArray] = [:]
        for entry in try ZipDirectory(archive, file: url.path).entries where entry.name.hasSuffix(".npy") {
            let name = String(entry.name.dropLast(4))
            let label = "\(url.path): array '\(name)'"
            let prefix = try headerBytes(of: entry, label: label)
            let (header, headerEnd) = try parseHeader(prefix, label: label)
            let (element, shape) = try describe(header, label: label)
            let expected = shape.reduce(element.size, *)
            guard entry.uncompressedSize - headerEnd == expected else {
                throw DataError.malformed(label, "shape \(shape) of \(element.rawValue) needs \(expected) bytes, the file holds \(entry.uncompressedSize - headerEnd) (truncated?)")
            }
            let storage: StoredArray.Storage = entry.isDeflated
                ? .deflated(entry.data, skip: headerEnd)
                : .plain(entry.data[(entry.data.startIndex + headerEnd)...])
            arrays[name] = StoredArray(label: label, element: element, shape: shape, storage: storage)
        }
        return arrays
    }

    /// The first bytes of an entry, enough to hold its `.npy` header (inflated if need be).
    private static func headerBytes(of entry: ZipDirectory.Entry, label: String) throws -> Data {
        guard entry.isDeflated else { return entry.data.prefix(12 + maximumHeaderBytes) }
        var prefix = Data()
        try Inflate.stream(entry.data, wrapping: .raw, name: label, limit: Int.max) { chunk in
            prefix.append(contentsOf: chunk.prefix(12 + maximumHeaderBytes - prefix.count))
            return prefix.count < 12 + maximumHeaderBytes
        }
        return prefix
    }

    /// The header text and where the data starts, from an entry's first bytes.
    private static func parseHeader(_ bytes: Data, label: String) throws -> (String, Int) {
        let reader = LittleEndianReader(bytes)
        guard let magic = reader.bytes(0, 8), magic.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else {
            throw DataError.malformed(label, "not a .npy array (no \\x93NUMPY magic)")
        }
        let major = magic[magic.startIndex + 6]
        let length: Int?, start: Int
        switch major {
        case 1: (length, start) = (reader.uint16(8).map(Int.init), 10)
        case 2, 3: (length, start) = (reader.uint32(8).map(Int.init), 12)
        default: throw DataError.malformed(label, ".npy format version \(major) is not known (1, 2 and 3 are)")
        }
        guard let length, length <= maximumHeaderBytes, let text = reader.bytes(start, length) else {
            throw DataError.malformed(label, "the .npy header is truncated or absurdly long")
        }
        return (String(decoding: text, as: UTF8.self), start + length)
    }

    /// The element type and shape a header names.
    private static func describe(_ header: String, label: String) throws -> (ElementType, [Int]) {
        func value(of key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return header[range.upperBound...].drop { $0 == " " }
        }
        guard let descrText = value(of: "descr"), let quote = descrText.first, quote == "'" || quote == "\"",
              let close = descrText.dropFirst().firstIndex(of: quote) else {
            throw DataError.malformed(label, "its header names no element type (descr)")
        }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<close])
        guard let element = ElementType(numpy: descr) else {
            throw DataError.malformed(label, "holds '\(descr)' elements; save numbers (uint8, integers, float16/32/64) in little-endian order")
        }
        if let order = value(of: "fortran_order"), order.hasPrefix("True") {
            throw DataError.malformed(label, "is in Fortran order; save numpy.ascontiguousarray(a) instead")
        }
        guard let shapeText = value(of: "shape"), shapeText.first == "(", let closing = shapeText.firstIndex(of: ")") else {
            throw DataError.malformed(label, "its header has no shape")
        }
        let parts = shapeText[shapeText.index(after: shapeText.startIndex)..<closing].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = parts.compactMap { Int($0) }
        guard shape.count == parts.count, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else {
            throw DataError.malformed(label, "its shape (\(parts.joined(separator: ", "))) is not a list of sizes")
        }
        let (_, overflow) = shape.reduce((element.size, false)) { partial, size in
            let (product, overflowed) = partial.0.multipliedReportingOverflow(by: size)
            return (product, partial.1 || overflowed || product > 1 << 42)
        }
        guard !overflow else { throw DataError.malformed(label, "shape \(shape) is absurdly large") }
        return (element, shape)
    }
}
