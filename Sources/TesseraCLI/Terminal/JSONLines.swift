import Foundation

/// Writes one JSON object per line (strings escaped, numbers in full precision, non-finite ones as null).
func printJSONLine(_ fields: KeyValuePairs<String, Any>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let text as String: "\"\(key)\":\(quoted(text))"
        case let number as Double: "\"\(key)\":\(number.isFinite ? "\(number)" : "null")"
        default: "\"\(key)\":\(value)"
        }
    }
    print("{" + body.joined(separator: ",") + "}")
}

/// `text` as a JSON string literal.
private func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case let c where c.value < 0x20: result += String(format: "\\u%04x", c.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
