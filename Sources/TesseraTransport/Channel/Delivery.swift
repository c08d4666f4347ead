import TesseraWire

/// A message received on a channel: who sent it, and the envelope or why it could not be decoded.
public struct Delivery: Sendable {
    /// The sender (on a connected channel, the peer it connected to).
    public var peer: PeerID
    /// The decoded envelope, or the decoding error.
    public var envelope: Result<Envelope, WireError>
    /// Bytes of all frames.
    public var byteCount: Int
    /// Who the sender proved to be, on a CURVE channel: the name its public key has on the
    /// receiver's allowlist. Nil on channels that authenticate no one.
    public var authenticatedID: String?

    /// A delivery from `peer`.
    public init(peer: PeerID, envelope: Result<Envelope, WireError>, byteCount: Int, authenticatedID: String? = nil) {
        self.peer = peer
        self.envelope = envelope
        self.byteCount = byteCount
        self.authenticatedID = authenticatedID
    }
}
