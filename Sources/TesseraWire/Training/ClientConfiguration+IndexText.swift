import Foundation

extension ClientConfiguration {
    /// What precedes the client's index in a configuration's JSON text.
    static let indexKey = "\"clientIndex\":"

    /// A configuration's JSON `text` split around the client's index: the text before the
    /// number, the number, and the text after. Nil unless the key occurs exactly once and is
    /// followed by a plain number (digits, no leading zero). The texts of one run's clients
    /// differ only there: a scheduler encodes one and writes each client's number in, and a
    /// process hosting many clients decodes one and reads the others' numbers out.
    public static func splitAtIndex(_ text: String) -> (head: Substring, index: Int, tail: Substring)? {
        guard let key = text.range(of: indexKey), text.range(of: indexKey, range: key.upperBound..<text.endIndex) == nil else { return nil }
        let rest = text[key.upperBound...]
        let digits = rest.prefix { ("0"..."9").contains($0) }
        guard (1...18).contains(digits.count), digits.count == 1 || digits.first != "0", let index = Int(digits) else { return nil }
        return (text[..<key.upperBound], index, rest[digits.endIndex...])
    }
}
