import TesseraWire

/// The configuration text of each client's welcome, encoded once: client 0's JSON split around
/// its index, so that a million welcomes cost a million joins of three strings, not a million
/// encodings. The text is what ``/TesseraWire/ClientConfiguration/json()`` gives (keys sorted).
struct WelcomeText {
    private let settings: RunSettings
    /// Client 0's text before and after the index; nil if the index is not found once (then
    /// each text is encoded).
    private let parts: (head: String, tail: String)?

    /// The texts for `settings`' clients.
    init(_ settings: RunSettings) {
        self.settings = settings
        guard let text = try? settings.clientConfiguration(index: 0).json(), let split = ClientConfiguration.splitAtIndex(text),
              split.index == 0 else {
            parts = nil
            return
        }
        parts = (String(split.head), String(split.tail))
    }

    /// Whether texts are joined (else each is encoded).
    var isJoined: Bool { parts != nil }

    /// Client `index`'s configuration as JSON.
    ///
    /// - Throws: `EncodingError` when the configuration cannot be encoded.
    func text(forClient index: Int) throws -> String {
        guard let parts else { return try settings.clientConfiguration(index: index).json() }
        return parts.head + String(index) + parts.tail
    }
}
