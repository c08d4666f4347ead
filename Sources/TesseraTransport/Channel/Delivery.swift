import Foundation
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

extension Delivery {
    /// `frames` from `peer`, decoded with `codec`: the envelope, or why it could not be; a
    /// hosted client's message comes from that client of `peer`.
    init(decoding frames: [Data], from peer: PeerID, codec: WireCodec, authenticatedID: String? = nil) {
        let bytes = frames.reduce(0) { $0 + $1.count }
        do {
            let envelope = try codec.decode(frames)
            self.init(peer: peer.hosting(envelope.client), envelope: .success(envelope), byteCount: bytes, authenticatedID: authenticatedID)
        } catch let error as WireError {
            self.init(peer: peer, envelope: .failure(error), byteCount: bytes, authenticatedID: authenticatedID)
        } catch {
            self.init(peer: peer, envelope: .failure(WireError(.malformed, "\(error)")), byteCount: bytes, authenticatedID: authenticatedID)
        }
    }
}

extension EncodedMessage {
    /// The frames to send to `peer`: as encoded, or addressed to the hosted client it names.
    ///
    /// - Throws: ``/TesseraWire/WireError`` when the client's id does not fit.
    func frames(for peer: PeerID?, codec: WireCodec) throws -> [Data] {
        guard let client = peer?.client else { return frames }
        return try codec.addressing(frames, to: client)
    }
}
