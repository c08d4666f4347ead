import Foundation

/// Who a message came from or goes to: a ZeroMQ routing identity, or its counterpart on other
/// channels. A worker connecting with an id is known by that id's UTF-8 bytes.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The identity's bytes.
    public let bytes: Data

    /// The peer named `name`.
    public init(_ name: String) {
        bytes = Data(name.utf8)
    }

    /// The peer with identity `bytes`.
    public init(bytes: Data) {
        self.bytes = bytes
    }

    /// The identity as text: UTF-8 names as they are, other bytes in hex.
    public var description: String {
        String(data: bytes, encoding: .utf8) ?? bytes.map { String(format: "%02x", $0) }.joined()
    }
}
