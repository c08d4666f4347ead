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
        // On the bytes: a million welcomes go through here, and Foundation's string search is
        // most of what a hosted client's join costs.
        let found = text.utf8.withContiguousStorageIfAvailable { bytes -> (start: Int, count: Int)? in
            let key = indexKeyBytes
            var keyEnd: Int?
            var position = 0
            while position + key.count <= bytes.count {
                if bytes[position] == key[0], bytes[position..<position + key.count].elementsEqual(key) {
                    guard keyEnd == nil else { return nil }
                    keyEnd = position + key.count
                    position += key.count
                } else {
                    position += 1
                }
            }
            guard let keyEnd else { return nil }
            var end = keyEnd
            while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
            return (keyEnd, end - keyEnd)
        }
        guard let found = found ?? nil, (1...18).contains(found.count) else { return nil }
        let start = text.utf8.index(text.utf8.startIndex, offsetBy: found.start)
        let end = text.utf8.index(start, offsetBy: found.count)
        let digits = text[start..<end]
        guard found.count == 1 || digits.first != "0", let index = Int(digits) else { return nil }
        return (text[..<start], index, text[end...])
    }

    private static let indexKeyBytes = Array(indexKey.utf8)
}
