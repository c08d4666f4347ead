import Crypto
import Foundation
import Testing
@testable import TesseraSecureAggregation

/// The test vectors of docs/PROTOCOL.md ("Secure aggregation"): fixed keys give these pair seeds,
/// masks, boxes and Shamir pieces, so that a worker written in another language can check itself
/// against them, and this code cannot drift from the document.
@Suite("Secure aggregation test vectors")
struct SecureAggregationVectorTests {
    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func key(_ byte: UInt8) throws -> Curve25519.KeyAgreement.PrivateKey {
        try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Data(repeating: byte, count: 32))
    }

    /// Keys of 32 bytes of 0x01 (A) and 0x02 (B), round 7: X25519 then HKDF-SHA256 (salt
    /// "tessera round 7", info "tessera secure aggregation mask" or "... shares") give the pair's
    /// mask seed and share key; the mask is the ChaCha20 keystream under the seed (nonce and
    /// counter 0) read as little-endian u64s; a share box is ChaCha20-Poly1305 under the share
    /// key, bound to "tessera secure aggregation round 7 from a to b", written nonce || ciphertext
    /// || tag. (Checked once against Python's cryptography package, which gives the same bytes.)
    @Test func pairSeedsMasksAndBoxesAreTheDocumentedOnes() throws {
        let (a, b) = (try Self.key(1), try Self.key(2))
        #expect(Self.hex(a.publicKey.rawRepresentation) == "a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209")
        let seed = try MaskExpansion.pairSeed(a, b.publicKey, round: 7, purpose: "mask")
        #expect(seed.withUnsafeBytes { Self.hex($0) } == "cc14c4198eda1b159291684192daa6f9856532bb98871faea4ea7df7a1f5051e")
        #expect(try MaskExpansion.pairSeed(b, a.publicKey, round: 7, purpose: "mask") == seed, "both sides agree")
        #expect(try MaskExpansion.mask(seed, count: 3) == [578_637_842_777_186_489, 16_277_965_955_409_630_219, 456_045_000_615_492_461])
        let shareKey = try MaskExpansion.pairSeed(a, b.publicKey, round: 7, purpose: "shares")
        #expect(shareKey.withUnsafeBytes { Self.hex($0) } == "0fa5a0ab12e393132a114ac8aeda295d1b92a0f90d6255ae36e1af180ff903f3")
        let box = try ChaChaPoly.seal(Data("{\"x\":1}".utf8), using: shareKey, nonce: try ChaChaPoly.Nonce(data: Data(count: 12)),
                                      authenticating: SecureAggregationClient.binding(7, "a", "b"))
        #expect(Self.hex(box.combined) == "00000000000000000000000030e431cfb3c9fa44a4060063387f8bf9d56ec382aa6ccd")
    }

    /// Signed keys and the consistency check: the Ed25519 key whose seed is below (derived from
    /// A's CURVE secret key, 32 bytes of 0x01: HKDF-SHA256, salt "tessera", info "tessera signing
    /// key v1"; `CurveTests` holds the derivation) signs a's keys (encryption key A's, masking key
    /// B's) for round 7, and the survivors a, b of round 7, to these bytes (Ed25519 is
    /// deterministic; checked against Python's cryptography package).
    @Test func signaturesAreTheDocumentedOnes() throws {
        let seed = Data(try #require(Self.bytes("67084b4b65bd983104074672aa1ff30c80d8241938c3dedac8a3f7d48e7f62a7")))
        let identity = try SigningIdentity(privateKey: seed, verifyingKeys: [:])
        #expect(Self.hex(identity.publicKey) == "b03934714df4a1d7d2e93e6992bf2babd6af39aeee67d8e933a8c5810181ca59")
        let keys = KeyAdvertisement(id: "a", encryptionKey: try Self.key(1).publicKey.rawRepresentation, maskingKey: try Self.key(2).publicKey.rawRepresentation)
        let signed = try identity.sign(keys, round: 7)
        #expect(Self.hex(signed.signature ?? Data()) == "73849a3217af892567ff655176a8f54b1156fd98d4455c98e4f638bb7bc4728a949518902945dbf58fca0c87780167b1dfa6cb87725005516b902ef5d3d10102")
        let survivors = try identity.sign(SurvivorsSignature.signedBytes(["b", "a"], round: 7))
        #expect(Self.hex(survivors) == "d198007830c214302a0ef6119c4c9687066ff663dd6df5a64ebfc50ddd96d745a7a8c3d9f48fbd3ce82163ef01f7ba9552283c66a74aa775f39ca08a71e3ad0e")
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) }
    }

    /// Shamir over p = 2^61 - 1: the secret 01 02 … 0a is cut into 7-byte little-endian pieces
    /// (0x07060504030201, 0x0a0908); with threshold 2 and slopes 5 and 11, party x holds
    /// [piece0 + 5x, piece1 + 11x], and any two parties rebuild it.
    @Test func shamirPiecesAreTheDocumentedOnes() throws {
        let secret: [UInt8] = Array(1...10)
        let (piece0, piece1): (UInt64, UInt64) = (0x07_0605_0403_0201, 0x0a_0908)
        let shares = (1...3).map { x in ShamirSharing.Share(x: UInt64(x), values: [piece0 + 5 * UInt64(x), piece1 + 11 * UInt64(x)], length: 10) }
        #expect(try ShamirSharing.combine([shares[0], shares[1]]) == secret)
        #expect(try ShamirSharing.combine([shares[2], shares[0]]) == secret)
        // The share as JSON, as boxes and unmasking answers carry it.
        let json = String(decoding: try JSONEncoder().encode(shares[0]), as: UTF8.self)
        #expect(json.contains("\"x\":1") && json.contains("\"length\":10") && json.contains("\"values\":[\(piece0 + 5),\(piece1 + 11)]"), "\(json)")
    }
}
