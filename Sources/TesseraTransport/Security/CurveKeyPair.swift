import CZMQ
import Foundation

/// A CurveZMQ key pair (Curve25519, as libzmq makes and uses them through libsodium; Tessera
/// writes no cryptography of its own), each key as 40 characters of Z85 text.
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key, shared with peers (a scheduler's allowlist, a worker's pinned server key).
    public let publicKey: String
    /// The secret key; stays on its own host, in a file only its owner can read.
    public let secretKey: String

    /// A fresh random key pair.
    ///
    /// - Throws: ``TransportError`` when libzmq was built without CURVE.
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw TransportError.lastZMQError("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Self.text(publicKey), secretKey: Self.text(secretKey))
    }

    /// The pair whose secret key is `secretKey` (Z85); its public key is derived.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for text that is not a Z85 Curve25519 key.
    public init(secretKey: String) throws {
        try Self.check(secretKey, what: "secret key")
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw TransportError.lastZMQError("zmq_curve_public") }
        self.init(publicKey: Self.text(publicKey), secretKey: secretKey)
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Throws unless `key` is 40 characters of Z85 that decode to 32 bytes.
    public static func check(_ key: String, what: String) throws {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard key.utf8.count == 40, zmq_z85_decode(&bytes, key) != nil else {
            throw TransportError(.badKey, "the \(what) '\(key.prefix(8))…' is not 40 characters of Z85 (the form tessera keys generate writes)")
        }
    }

    /// The 32 bytes of Z85 `key` (checked).
    static func bytes(of key: String) throws -> [UInt8] {
        try check(key, what: "key")
        var bytes = [UInt8](repeating: 0, count: 32)
        _ = zmq_z85_decode(&bytes, key)
        return bytes
    }

    /// Z85 text of 32 key bytes.
    static func z85(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, bytes, 32) != nil else { return nil }
        return Self.text(text)
    }

    private static func text(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
