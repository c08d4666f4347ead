import Foundation
import TesseraTensor

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// into the byte buffer that follows) plus an optional `"__metadata__"` string map, then the raw
/// little-endian data. Files written here load with `safetensors.numpy.load_file` and in PyTorch.
public enum SafeTensors {
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
            tensor.withFloats { values, count in
                guard let values else { return }
                #if _endian(little)
                // The floats' bytes as they are: one copy, not one append a value.
                file.append(UnsafeRawPointer(values).assumingMemoryBound(to: UInt8.self), count: count * 4)
                #else
                for value in UnsafeBufferPointer(start: values, count: count) {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { file.append(contentsOf: $0) }
                }
                #endif
            }
        }
        return file
    }

    /// Decodes a safetensors file into its tensors (in data order) and metadata.
    ///
    /// - Throws: ``NNError`` (`.invalidCheckpoint`) for a truncated file, a malformed header, a
    ///   dtype other than F32, or offsets that do not match shapes or overlap the end.
    public static func decode(_ file: Data) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        let header: SafeTensorsHeader
        do {
            header = try SafeTensorsHeader(parsing: file)
        } catch {
            throw NNError(.invalidCheckpoint, "safetensors: \(error.description)")
        }
        var tensors: [(name: String, tensor: Tensor)] = []
        for entry in header.entries {
            guard entry.dtype == "F32" else {
                throw NNError(.invalidCheckpoint, "safetensors: entry '\(entry.name)' has dtype \(entry.dtype); only F32 is supported")
            }
            let count = entry.bytes.count / 4
            var values = [Float](repeating: 0, count: count)
            file.withUnsafeBytes { raw in
                for index in 0..<count {
                    values[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: entry.bytes.lowerBound + index * 4, as: UInt32.self)))
                }
            }
            tensors.append((entry.name, try Tensor(values, shape: entry.shape)))
        }
        return (tensors, header.metadata)
    }
}
