import Foundation
import Testing
import TesseraTransport
import TesseraWire

/// CurveZMQ between channels: key files, and admission — only allowlisted keys get in, under
/// their names; unlisted keys, plaintext clients and clients pinning the wrong server key do not.
@Suite("CURVE security", .serialized)
struct CurveTests {
    let keys = KeyDirectory(FileManager.default.temporaryDirectory.appendingPathComponent("tessera-keys-\(UUID())"))

    @Test func keyFilesAreWrittenPrivatelyAndReadBack() throws {
        defer { try? FileManager.default.removeItem(at: keys.url) }
        let pair = try keys.generate("w1")
        let attributes = try FileManager.default.attributesOfItem(atPath: keys.url.appendingPathComponent("w1.key").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try keys.pair("w1") == pair && keys.publicKey("w1") == pair.publicKey)
        #expect(throws: TransportError.self) { try keys.generate("w1") }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys.url.appendingPathComponent("w1.key").path)
        #expect(throws: TransportError.self) { try keys.pair("w1") }
        #expect(throws: TransportError.self) { try CurveKeyPair(secretKey: "not a key") }
        _ = try keys.generate("scheduler")
        #expect(try keys.publicKeys(except: "scheduler") == ["w1": pair.publicKey])
        #expect(try keys.allowlist(except: "scheduler") == [pair.publicKey: "w1"])
        // One key may speak for one peer only.
        try FileManager.default.copyItem(at: keys.url.appendingPathComponent("w1.pub"), to: keys.url.appendingPathComponent("w2.pub"))
        #expect(throws: TransportError.self) { try keys.allowlist(except: "scheduler") }
    }

    /// Sends one message from a client made with `security` and returns what the server got
    /// (nil: nothing within 2 s).
    func deliver(to server: any MessageChannel, with security: ChannelSecurity) throws -> Delivery? {
        let client = try Transport.zeroMQ.connect(server.address, identity: "w1", security: security)
        defer { client.close() }
        try client.send(Envelope(id: 1, message: .heartbeat))
        return try server.receive(timeout: 2)
    }

    @Test func onlyAllowlistedKeysAreAdmittedUnderTheirNames() throws {
        let (server, client, stranger) = (try CurveKeyPair.generate(), try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let channel = try Transport.zeroMQ.bind("tcp://127.0.0.1:0", security: .curveServer(keys: server, allowed: [client.publicKey: "w1"]))
        defer { channel.close() }
        let admitted = try #require(try deliver(to: channel, with: .curveClient(keys: client, serverKey: server.publicKey)))
        #expect(admitted.authenticatedID == "w1" && admitted.peer == PeerID("w1"))
        #expect(try deliver(to: channel, with: .curveClient(keys: stranger, serverKey: server.publicKey)) == nil, "an unlisted key got in")
        #expect(try deliver(to: channel, with: .none) == nil, "a plaintext client got in")
        let impostor = try CurveKeyPair.generate()
        #expect(try deliver(to: channel, with: .curveClient(keys: client, serverKey: impostor.publicKey)) == nil,
                "a client pinning another server's key got in")
        // The listed client still gets in after all that.
        #expect(try deliver(to: channel, with: .curveClient(keys: client, serverKey: server.publicKey))?.authenticatedID == "w1")
    }
}
