/// What went wrong finding, reading or splitting data. The description says which file or
/// argument and what to do; `kind` is stable for matching.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of error.
    public enum Kind: String, Sendable {
        case notFound, malformedFile, decompression, invalidArgument
        /// The data cannot be split among the clients as asked (too few samples or natural
        /// clients, a parameter out of range).
        case impossibleSplit
    }

    /// The class of error.
    public let kind: Kind
    /// A sentence describing it.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func malformed(_ file: String, _ reason: String) -> DataError {
        DataError(.malformedFile, "\(file): \(reason)")
    }
}
