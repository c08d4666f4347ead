import Foundation
import TesseraTensor

/// The arrays of a safetensors data file, by name, not yet read (the file is mapped; rows are
/// read when asked for).
enum SafeTensorsArrays {
    /// - Throws: ``DataError`` naming the file for a damaged header or a type other than
    ///   numbers and bool (bfloat16 and the 8-bit floats are refused).
    static func arrays(at url: URL, data file: Data) throws -> [String: StoredArray] {
        let header: SafeTensorsHeader
        do {
            header = try SafeTensorsHeader(parsing: file)
        } catch {
            throw DataError.malformed(url.path, "not a readable safetensors file: \(error.description)")
        }
        var arrays: [String: StoredArray] = [:]
        for entry in header.entries {
            let label = "\(url.path): tensor '\(entry.name)'"
            guard let element = ElementType(safetensors: entry.dtype) else {
                throw DataError.malformed(label, "holds \(entry.dtype) values; save uint8, integers or float16/32/64")
            }
            let bytes = file[(file.startIndex + entry.bytes.lowerBound)..<(file.startIndex + entry.bytes.upperBound)]
            arrays[entry.name] = StoredArray(label: label, element: element, shape: entry.shape, storage: .plain(bytes))
        }
        return arrays
    }
}
