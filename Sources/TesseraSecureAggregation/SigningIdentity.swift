import Crypto
import Foundation

/// A client's long-term identity for authenticating its round keys (Bonawitz et al. 2017, the
/// version against an actively malicious server): its Ed25519 signing key, and the signing
/// public keys of every client it may meet, from a source the server does not control (the key
/// directory `tessera keys generate` writes, `NAME.sign`). A client with an identity signs its
/// keys and takes part only with clients whose keys carry their owners' signatures, so the
/// scheduler cannot slip in keys of its own under an honest client's name.
public struct SigningIdentity: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey
    /// Signing public keys (32 bytes each) by client id.
    public let verifyingKeys: [String: Data]

    /// An identity signing with the Ed25519 key whose 32-byte seed is `privateKey`, trusting
    /// `verifyingKeys`.
    ///
    /// - Throws: ``SecureAggregationError`` for a seed that is not 32 bytes.
    public init(privateKey: Data, verifyingKeys: [String: Data]) throws {
        do {
            self.privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)
        } catch {
            throw SecureAggregationError("a signing key is 32 bytes, not \(privateKey.count)")
        }
        self.verifyingKeys = verifyingKeys
    }

    /// This identity's signing public key.
    public var publicKey: Data { privateKey.publicKey.rawRepresentation }

    /// `advertisement` signed for `round`.
    func sign(_ advertisement: KeyAdvertisement, round: UInt64) throws -> KeyAdvertisement {
        var signed = advertisement
        signed.signature = try privateKey.signature(for: advertisement.signedBytes(round: round))
        return signed
    }

    /// This identity's signature of `bytes`.
    func sign(_ bytes: Data) throws -> Data {
        try privateKey.signature(for: bytes)
    }

    /// Whether `signature` is `id`'s, by the key this identity trusts for it, of `bytes`.
    func isValid(_ signature: Data, by id: String, for bytes: Data) -> Bool {
        guard let key = verifyingKeys[id], let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { return false }
        return publicKey.isValidSignature(signature, for: bytes)
    }

    /// Throws unless `advertisement` carries a valid signature for `round` by the key this
    /// identity trusts for its id.
    func verify(_ advertisement: KeyAdvertisement, round: UInt64) throws {
        guard let key = verifyingKeys[advertisement.id] else {
            throw SecureAggregationError("no signing key for \(advertisement.id) (its \(advertisement.id).sign, from the key directory): its keys cannot be told from the scheduler's")
        }
        guard let signature = advertisement.signature,
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key),
              publicKey.isValidSignature(signature, for: advertisement.signedBytes(round: round)) else {
            throw SecureAggregationError("\(advertisement.id)'s keys are \(advertisement.signature == nil ? "not signed" : "not signed by \(advertisement.id)") (checked against its \(advertisement.id).sign): the scheduler altered the roster, or that file is not \(advertisement.id)'s")
        }
    }
}

extension KeyAdvertisement {
    /// What its signature covers (docs/PROTOCOL.md): "tessera secagg keys v1", a zero byte, the
    /// round (u64 little-endian), the id's UTF-8 bytes, a zero byte, the encryption key, the
    /// masking key.
    func signedBytes(round: UInt64) -> Data {
        var bytes = Data("tessera secagg keys v1".utf8)
        bytes.append(0)
        withUnsafeBytes(of: round.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Data(id.utf8))
        bytes.append(0)
        bytes.append(encryptionKey)
        bytes.append(maskingKey)
        return bytes
    }
}
