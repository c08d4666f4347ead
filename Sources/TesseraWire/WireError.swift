/// Why bytes could not be decoded as a message, with where and what. Every decoding path ends
/// in one of these (never a trap), and a worker sends it back to the sender as an error reply:
/// `code` is the stable number on the wire, `description` the sentence.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem; its raw value is the error code sent on the wire.
    public enum Kind: UInt16, Sendable {
        case truncated = 1
        case badMagic = 2
        case unsupportedVersion = 3
        case unknownMessageType = 4
        case unknownOp = 5
        case malformed = 6
        case limitExceeded = 7
        case frameMismatch = 8
        /// Not a decoding error: a valid request that failed (unknown tensor id, op error…).
        case requestFailed = 100
        /// Not a decoding error: the sender is not a worker of the scheduler's run (it never
        /// registered, or the scheduler restarted); it should register.
        case notRegistered = 101
    }

    /// The class of problem.
    public let kind: Kind
    /// A sentence with the byte offset, field and values involved.
    public let description: String
    /// The id of the message that could not be decoded, when its header was read that far
    /// (the error reply then answers it); nil otherwise.
    public var messageID: UInt64?

    /// An error of `kind` described by `description`, about message `messageID` if known.
    public init(_ kind: Kind, _ description: String, messageID: UInt64? = nil) {
        self.kind = kind
        self.description = description
        self.messageID = messageID
    }
}
