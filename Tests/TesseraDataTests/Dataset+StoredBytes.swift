import TesseraData

extension Dataset {
    /// The stored values when they are bytes (empty otherwise), for tests of byte datasets.
    var storedBytes: [UInt8] {
        if case let .bytes(bytes) = values { return bytes }
        return []
    }
}
