import Foundation

/// Round 0: a client's two public keys (X25519), one to encrypt shares to it, one for the
/// masks it shares with each other client.
public struct KeyAdvertisement: Sendable, Equatable, Codable {
    /// The client.
    public var id: String
    /// Raw X25519 public key for encrypting shares to it (32 bytes).
    public var encryptionKey: Data
    /// Raw X25519 public key for agreeing pairwise masks (32 bytes).
    public var maskingKey: Data
    /// The client's Ed25519 signature of these keys for the round (``SigningIdentity``); nil
    /// from a client without an identity.
    public var signature: Data?

    /// An advertisement of `id`'s keys.
    public init(id: String, encryptionKey: Data, maskingKey: Data, signature: Data? = nil) {
        (self.id, self.encryptionKey, self.maskingKey, self.signature) = (id, encryptionKey, maskingKey, signature)
    }
}

/// Round 1: a client's shares of its masking key and self-mask seed for one other client,
/// encrypted to it (ChaCha20-Poly1305 under a key the two agree on); the server only relays it.
public struct EncryptedShare: Sendable, Equatable, Codable {
    /// The client whose secrets these are.
    public var from: String
    /// The client that can decrypt them.
    public var to: String
    /// The sealed box (nonce, ciphertext and tag).
    public var ciphertext: Data

    /// `from`'s sealed shares for `to`.
    public init(from: String, to: String, ciphertext: Data) {
        (self.from, self.to, self.ciphertext) = (from, to, ciphertext)
    }
}

/// Round 3: what a surviving client reveals so that the sum can be unmasked: shares of the
/// self-mask seed of every client that sent its masked input, and shares of the masking key of
/// every client that shared keys but sent no input. Never both for one client.
public struct UnmaskingShares: Sendable, Equatable, Codable {
    /// The client revealing them.
    public var id: String
    /// Shares of survivors' self-mask seeds, by survivor.
    public var selfMaskShares: [String: ShamirSharing.Share]
    /// Shares of dropped clients' masking keys, by dropped client.
    public var maskingKeyShares: [String: ShamirSharing.Share]

    /// `id`'s revelations.
    public init(id: String, selfMaskShares: [String: ShamirSharing.Share], maskingKeyShares: [String: ShamirSharing.Share]) {
        (self.id, self.selfMaskShares, self.maskingKeyShares) = (id, selfMaskShares, maskingKeyShares)
    }
}

/// Round 4 with signed keys (the consistency check): a client's signature of the survivors the
/// server named to it.
public struct SurvivorsSignature: Sendable, Equatable, Codable {
    /// The client signing.
    public var id: String
    /// Its Ed25519 signature of the sorted survivors (`signedBytes(_:round:)`).
    public var signature: Data

    /// `id`'s `signature`.
    public init(id: String, signature: Data) {
        (self.id, self.signature) = (id, signature)
    }

    /// What the signature covers (docs/PROTOCOL.md): "tessera secagg survivors v1", a zero byte,
    /// the round (u64 little-endian), then each survivor's id in UTF-8 followed by a zero byte,
    /// in sorted order.
    static func signedBytes(_ survivors: [String], round: UInt64) -> Data {
        var bytes = Data("tessera secagg survivors v1".utf8)
        bytes.append(0)
        withUnsafeBytes(of: round.littleEndian) { bytes.append(contentsOf: $0) }
        for id in survivors.sorted() {
            bytes.append(contentsOf: Data(id.utf8))
            bytes.append(0)
        }
        return bytes
    }
}

/// Round 2: what a client says in the clear beside its masked input: the weight its input was
/// multiplied by, which the server checks on its own (so that a client claiming more than it
/// may is left out, rather than spoiling the sum's total), and whom it masked with.
public struct MaskedInputNote: Sendable, Equatable, Codable {
    /// The weight every value of the input was multiplied by (a FedAvg sample count; 1 for a
    /// clipped update).
    public var weight: Double
    /// The clients it agreed pairwise masks with; nil: every other client that shared (its
    /// neighbours under SecAgg+).
    public var maskedWith: [String]?

    /// A note of an input of `weight`, masked with `maskedWith`.
    public init(weight: Double, maskedWith: [String]?) {
        (self.weight, self.maskedWith) = (weight, maskedWith)
    }
}
