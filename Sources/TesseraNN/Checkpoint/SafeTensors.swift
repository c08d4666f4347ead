import Foundation
import TesseraTensor

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// into the byte buffer that follows) plus an optional `"__metadata__"` string map, then the raw
/// little-endian data. Files written here load with `safetensors.numpy.load_file` and in PyTorch.
public enum SafeTensors {
    /// Largest header accepted when reading (the format's own limit is 100 MB).
    static let maximumHeaderBytes = 100_000_000

    /// Encodes `tensors` (in order) and `metadata` as a safetensors file. Float32 only.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, tensor) in tensors {
            let bytes = tensor.count * 4
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for (_, tensor) in tensors {
            tensor.scalars.withUnsafeBufferPointer { values in
                for value in values {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { file.append(contentsOf: $0) }
                }
            }
        }
        return file
    }

    /// Decodes a safetensors file into its tensors (in data order) and metadata.
    ///
    /// - Throws: ``NNError`` (`.invalidCheckpoint`) for a truncated file, a malformed header, a
    ///   dtype other than F32, or offsets that do not match shapes or overlap the end.
    public static func decode(_ file: Data) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        func fail(_ reason: String) -> NNError { NNError(.invalidCheckpoint, "safetensors: \(reason)") }
        guard file.count >= 8 else { throw fail("file of \(file.count) bytes is shorter than the 8-byte header length") }
        let headerLength = file.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(min(maximumHeaderBytes, file.count - 8)) else {
            throw fail("header length \(headerLength) exceeds the file (\(file.count) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        let headerData = file.subdata(in: (file.startIndex + 8)..<(file.startIndex + headerEnd))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = map
        }
        let dataLength = file.count - headerEnd
        var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("entry '\(name)' needs dtype, shape and two data_offsets")
            }
            guard dtype == "F32" else { throw fail("entry '\(name)' has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else { throw fail("entry '\(name)' has a bad shape \(shape)") }
            let (count, overflow) = shape.reduce((1, false)) { acc, dim in
                let (product, o) = acc.0.multipliedReportingOverflow(by: dim)
                return (product, acc.1 || o)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard !overflow, begin >= 0, end <= dataLength, end - begin == count * 4 else {
                throw fail("entry '\(name)': offsets \(offsets) do not hold shape \(shape) in \(dataLength) data bytes")
            }
            entries.append((name, shape, begin, end))
        }
        entries.sort { $0.begin < $1.begin }
        var tensors: [(name: String, tensor: Tensor)] = []
        for entry in entries {
            let count = (entry.end - entry.begin) / 4
            var values = [Float](repeating: 0, count: count)
            file.withUnsafeBytes { raw in
                let base = raw.baseAddress! + headerEnd + entry.begin
                for index in 0..<count {
                    values[index] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                }
            }
            tensors.append((entry.name, try Tensor(values, shape: entry.shape)))
        }
        return (tensors, metadata)
    }
}
