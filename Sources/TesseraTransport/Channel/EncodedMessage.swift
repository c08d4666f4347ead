import Foundation
import TesseraWire

/// An envelope with its frames, encoded once: broadcasting the same weights to every worker
/// sends these frames to each without encoding them again.
public struct EncodedMessage: Sendable {
    /// The envelope.
    public let envelope: Envelope
    /// Its frames, as ``/TesseraWire/WireCodec`` wrote them.
    public let frames: [Data]

    /// Encodes `envelope` with `codec`.
    ///
    /// - Throws: ``/TesseraWire/WireError`` (`.limitExceeded`) when it does not fit the codec's limits.
    public init(_ envelope: Envelope, codec: WireCodec) throws {
        self.envelope = envelope
        frames = try codec.encode(envelope)
    }

    /// The same message for hosted `clients` of one process together (header flag 2), sent to
    /// the process as itself: the payload frames are shared, not copied.
    ///
    /// - Throws: ``/TesseraWire/WireError`` for no clients, too many, or an id out of bounds.
    public func addressed(toClients clients: [String], codec: WireCodec) throws -> EncodedMessage {
        var envelope = envelope
        envelope.client = nil
        envelope.recipients = clients
        return EncodedMessage(envelope: envelope, frames: try codec.addressing(frames, toClients: clients))
    }

    private init(envelope: Envelope, frames: [Data]) {
        self.envelope = envelope
        self.frames = frames
    }

    /// Bytes of all frames.
    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }
}
