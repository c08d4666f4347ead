import Foundation

/// One array of a data file, not yet read: its type, shape and where its bytes are. Rows (the
/// first axis) are read on demand, so a worker that keeps a few thousand samples of a large file
/// touches only their pages (mapped files) or keeps only their bytes as it streams (compressed
/// zip entries).
struct StoredArray: Sendable {
    /// Where the elements are.
    enum Storage: Sendable {
        /// Exactly the array's bytes, in a memory-mapped file.
        case plain(Data)
        /// A deflated zip entry whose decompressed stream holds `skip` bytes of header, then the
        /// array's bytes.
        case deflated(Data, skip: Int)
    }

    /// How errors name it: "x in data.npz".
    let label: String
    /// Its element type.
    let element: ElementType
    /// Its shape; the first axis counts rows.
    let shape: [Int]
    /// Its bytes.
    let storage: Storage

    /// Number of rows.
    var rows: Int { shape.first ?? 1 }

    /// Elements per row.
    var rowElements: Int { shape.dropFirst().reduce(1, *) }

    /// Bytes per row.
    var rowBytes: Int { rowElements * element.size }

    /// The raw bytes of the rows at `indices` (distinct), in that order.
    ///
    /// - Throws: ``DataError`` for an index outside `0..<rows`, a corrupt or truncated
    ///   compressed entry.
    func rawRows(_ indices: [Int]) throws -> [UInt8] {
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            throw DataError(.invalidArgument, "\(label): row \(bad) is outside 0..<\(rows)")
        }
        let size = rowBytes
        var output = [UInt8](repeating: 0, count: indices.count * size)
        switch storage {
        case let .plain(data):
            data.withUnsafeBytes { file in
                output.withUnsafeMutableBytes { out in
                    for (slot, row) in indices.enumerated() {
                        out.baseAddress!.advanced(by: slot * size).copyMemory(from: file.baseAddress!.advanced(by: row * size), byteCount: size)
                    }
                }
            }
        case let .deflated(data, skip):
            // Rows in file order with the slot each fills; the stream is read once, front to back.
            let wanted = indices.enumerated().map { (row: $0.element, slot: $0.offset) }.sorted { $0.row < $1.row }
            var next = 0, position = -skip
            let end = rows * size
            try Inflate.stream(data, wrapping: .raw, name: label, limit: skip + end) { chunk in
                let chunkStart = position
                position += chunk.count
                output.withUnsafeMutableBytes { out in
                    while next < wanted.count {
                        let rowStart = wanted[next].row * size
                        let from = max(rowStart, chunkStart), to = min(rowStart + size, position)
                        if from < to {
                            out.baseAddress!.advanced(by: wanted[next].slot * size + from - rowStart)
                                .copyMemory(from: chunk.baseAddress!.advanced(by: from - chunkStart), byteCount: to - from)
                        }
                        // The row continues into the next chunk: keep it.
                        guard rowStart + size <= position else { break }
                        next += 1
                    }
                }
                return next < wanted.count
            }
            guard next == wanted.count || indices.isEmpty else {
                throw DataError.malformed(label, "the compressed entry ends before its \(rows) rows (truncated)")
            }
        }
        return output
    }

    /// Every element, as integers (labels, client ids).
    ///
    /// - Throws: ``DataError`` when the array holds floats, or its entry is corrupt.
    func integers() throws -> [Int64] {
        let raw = try rawRows(Array(0..<rows))
        guard let values = raw.withUnsafeBytes({ element.integers($0) }) else {
            throw DataError.malformed(label, "holds \(element.rawValue) values; it must hold integers")
        }
        return values
    }

    /// The rows at `indices` as sample values: bytes kept as bytes, anything else as floats.
    ///
    /// - Throws: ``DataError`` naming the first sample with a NaN or infinite value, or for a
    ///   corrupt entry.
    func values(_ indices: [Int]) throws -> SampleValues {
        let raw = try rawRows(indices)
        if element == .uint8 { return .bytes(raw) }
        let floats = raw.withUnsafeBytes { element.floats($0) }
        if let bad = floats.firstIndex(where: { !$0.isFinite }) {
            let sample = indices[bad / max(rowElements, 1)]
            throw DataError.malformed(label, "sample \(sample) has a \(floats[bad].isNaN ? "NaN" : "infinite") value; replace or drop it")
        }
        return .floats(floats)
    }
}
