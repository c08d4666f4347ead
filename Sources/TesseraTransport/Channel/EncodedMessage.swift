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

    /// Bytes of all frames.
    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }
}
