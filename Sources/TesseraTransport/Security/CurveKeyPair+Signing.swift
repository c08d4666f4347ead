import Crypto
import Foundation

extension CurveKeyPair {
    /// The seed (32 bytes) of this pair's Ed25519 signing key: HKDF-SHA256 of the secret key's
    /// 32 bytes, salt "tessera", info "tessera signing key v1". A host holding its `.key` holds
    /// its signing key too; what it signs (its secure-aggregation keys) others check against its
    /// `NAME.sign`, written beside its `.pub`.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for a secret key that is not Z85.
    public func signingSeed() throws -> Data {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: try Self.bytes(of: secretKey)),
                                         salt: Data("tessera".utf8), info: Data("tessera signing key v1".utf8), outputByteCount: 32)
        return key.withUnsafeBytes { Data($0) }
    }

    /// The signing public key (32 bytes) that goes with ``signingSeed()``.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for a secret key that is not Z85.
    public func signingPublicKey() throws -> Data {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: try signingSeed()) else {
            throw TransportError(.badKey, "cannot derive a signing key")
        }
        return key.publicKey.rawRepresentation
    }
}
