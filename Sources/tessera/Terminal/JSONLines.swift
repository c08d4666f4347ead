import Foundation

/// Writes one JSON object per line.
func printJSONLine(_ fields: KeyValuePairs<String, Any>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let text as String: "\"\(key)\":\"\(text)\""
        case let number as Double: "\"\(key)\":\(String(format: "%.6g", number))"
        default: "\"\(key)\":\(value)"
        }
    }
    print("{" + body.joined(separator: ",") + "}")
}
