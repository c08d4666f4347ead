import Foundation

/// Who a message came from or goes to: a ZeroMQ routing identity, or its counterpart on other
/// channels, and the client it hosts when the message is a hosted client's. A worker connecting
/// with an id is known by that id's UTF-8 bytes; a client hosted in a process with many is that
/// process's identity and the client's id (docs/PROTOCOL.md, "Many clients in one process").
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The identity's bytes (a hosted client's: its process's).
    public let bytes: Data
    /// The hosted client, when the peer is one of the clients a process hosts.
    public let client: String?

    /// The peer named `name`.
    public init(_ name: String) {
        bytes = Data(name.utf8)
        client = nil
    }

    /// The peer with identity `bytes`, or hosted `client` of it.
    public init(bytes: Data, client: String? = nil) {
        self.bytes = bytes
        self.client = client
    }

    /// Hosted `client` of this peer (the one the channel is connected to, on a connected channel).
    public func hosting(_ client: String?) -> PeerID {
        PeerID(bytes: bytes, client: client)
    }

    /// The identity as text: UTF-8 names as they are, other bytes in hex; a hosted client as
    /// `CLIENT@PROCESS`.
    public var description: String {
        let host = String(data: bytes, encoding: .utf8) ?? bytes.map { String(format: "%02x", $0) }.joined()
        return client.map { "\($0)@\(host)" } ?? host
    }
}
