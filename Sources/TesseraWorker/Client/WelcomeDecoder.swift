import TesseraWire

/// Decodes the configurations of a process's clients' welcomes, each text once at most: the
/// welcomes of one run differ only in the client's index, so one whose text is the last decoded
/// one's but for that number is that configuration with the number read in. A million hosted
/// clients joining otherwise spend most of their time decoding the same JSON.
final class WelcomeDecoder {
    /// The last text decoded, around its index, and its configuration.
    private var last: (head: String, tail: String, configuration: ClientConfiguration)?

    /// The configuration `text` holds.
    ///
    /// - Throws: as ``/TesseraWire/ClientConfiguration/init(json:)``.
    func configuration(from text: String) throws -> ClientConfiguration {
        let split = ClientConfiguration.splitAtIndex(text)
        // Byte for byte: texts equal as Unicode but not as bytes are decoded anew.
        if let split, let last, split.head.utf8.elementsEqual(last.head.utf8), split.tail.utf8.elementsEqual(last.tail.utf8) {
            var configuration = last.configuration
            configuration.clientIndex = split.index
            return configuration
        }
        let configuration = try ClientConfiguration(json: text)
        // Kept only when the number found is the index decoded (not some other field's).
        last = split.flatMap { $0.index == configuration.clientIndex ? (String($0.head), String($0.tail), configuration) : nil }
        return configuration
    }
}
