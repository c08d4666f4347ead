import Crypto
import CryptoExtras
import Foundation

/// A mask: a seed expanded into as many pseudo-random ring elements as a vector has, the
/// ChaCha20 keystream under that seed (a fresh key per seed, so the fixed nonce is never
/// reused). Both sides of a pair expand the same seed to the same mask.
enum MaskExpansion {
    /// `count` pseudo-random elements of Z/2^64 from `seed`. O(count).
    static func mask(_ seed: SymmetricKey, count: Int) throws -> [UInt64] {
        guard count > 0 else { return [] }
        let stream = try Insecure.ChaCha20CTR.encrypt(Data(count: count * 8), using: seed,
                                                      nonce: try Insecure.ChaCha20CTR.Nonce(data: Data(count: 12)))
        return stream.withUnsafeBytes { bytes in
            (0..<count).map { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
    }

    /// `vector` with `mask` added (`sign` 1) or subtracted (-1), element by element, modulo 2^64.
    static func apply(_ mask: [UInt64], to vector: inout [UInt64], sign: Int) {
        if sign >= 0 {
            for index in vector.indices { vector[index] &+= mask[index] }
        } else {
            for index in vector.indices { vector[index] &-= mask[index] }
        }
    }

    /// The seed two parties agree on from their masking keys for `round`: X25519, then HKDF-SHA256.
    static func pairSeed(_ own: Curve25519.KeyAgreement.PrivateKey, _ other: Curve25519.KeyAgreement.PublicKey,
                         round: UInt64, purpose: String) throws -> SymmetricKey {
        let shared = try own.sharedSecretFromKeyAgreement(with: other)
        return shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: Data("tessera round \(round)".utf8),
                                              sharedInfo: Data("tessera secure aggregation \(purpose)".utf8), outputByteCount: 32)
    }
}
