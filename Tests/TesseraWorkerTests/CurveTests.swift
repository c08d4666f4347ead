import Foundation
import Testing
import TesseraTestSupport
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
        // Each pair's signing key is derived from its secret, its public half written as NAME.sign.
        let signing = try keys.signingKeys()
        let (derived, seed, reread) = (try pair.signingPublicKey(), try pair.signingSeed(), try CurveKeyPair(secretKey: pair.secretKey).signingSeed())
        #expect(Set(signing.keys) == ["w1", "scheduler"] && signing["w1"] == derived && derived.count == 32)
        #expect(seed == reread && signing["w1"] != signing["scheduler"])
        // The documented vector (docs/PROTOCOL.md): the secret key of 32 bytes 0x01.
        let ones = try CurveKeyPair(secretKey: "0rAi40rAi40rAi40rAi40rAi40rAi40rAi40rAi4")
        #expect(try ones.signingSeed().map { String(format: "%02x", $0) }.joined() == "67084b4b65bd983104074672aa1ff30c80d8241938c3dedac8a3f7d48e7f62a7")
        #expect(try ones.signingPublicKey().map { String(format: "%02x", $0) }.joined() == "b03934714df4a1d7d2e93e6992bf2babd6af39aeee67d8e933a8c5810181ca59")
        try Data("not base64\n".utf8).write(to: keys.url.appendingPathComponent("w3.sign"))
        #expect(throws: TransportError.self) { try keys.signingKeys() }
        try FileManager.default.removeItem(at: keys.url.appendingPathComponent("w3.sign"))
        #expect(try keys.allowlist(except: "scheduler") == [pair.publicKey: "w1"])
        // One key may speak for one peer only.
        try FileManager.default.copyItem(at: keys.url.appendingPathComponent("w1.pub"), to: keys.url.appendingPathComponent("w2.pub"))
        #expect(throws: TransportError.self) { try keys.allowlist(except: "scheduler") }
    }

    /// Sends one message from a client made with `security` and returns what the server got
    /// (nil: nothing within 2 s, or the send itself refused: a client whose handshake has
    /// already failed when it sends is told so at once, which on a busy machine can come first).
    func deliver(to server: any MessageChannel, with security: ChannelSecurity) throws -> Delivery? {
        let client = try Transport.zeroMQ.connect(server.address, identity: "w1", security: security)
        defer { client.close() }
        do {
            try client.send(Envelope(id: 1, message: .heartbeat))
        } catch let error as TransportError where error.kind == .notAdmitted {
            return nil
        }
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

    /// What a client's sends say after a handshake failed (nil: every send went out for 5 s).
    func refusal(at server: any MessageChannel, with security: ChannelSecurity) throws -> String? {
        let client = try Transport.zeroMQ.connect(server.address, identity: "w1", security: security)
        defer { client.close() }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            do {
                try client.send(Envelope(id: 1, message: .heartbeat))
            } catch let error as TransportError {
                #expect(error.kind == .notAdmitted)
                return error.description
            }
            _ = try server.receive(timeout: 0.1)
        }
        return nil
    }

    /// A client refused at the handshake is told why within seconds, by its sends (which fail
    /// at once from then on instead of blocking), and the server counts and tells each refusal.
    @Test func aRefusedClientIsToldWhyAndTheServerCountsIt() throws {
        let (server, client, stranger) = (try CurveKeyPair.generate(), try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let channel = try Transport.zeroMQ.bind("tcp://127.0.0.1:0", security: .curveServer(keys: server, allowed: [client.publicKey: "w1"]))
        defer { channel.close() }
        let unlisted = try refusal(at: channel, with: .curveClient(keys: stranger, serverKey: server.publicKey))
        #expect(unlisted?.contains("refused w1's key") == true && unlisted?.contains("is w1.pub in the key directory there?") == true,
                "\(unlisted ?? "no refusal")")
        let plaintext = try refusal(at: channel, with: .none)
        #expect(plaintext?.contains("w1 has none") == true, "\(plaintext ?? "no refusal")")
        let wrongServer = try refusal(at: channel, with: .curveClient(keys: client, serverKey: try CurveKeyPair.generate().publicKey))
        #expect(wrongServer?.contains("does not hold the secret key of the server key w1 pins") == true, "\(wrongServer ?? "no refusal")")
        #expect(channel.refusedHandshakes >= 3)
        // The listed client is not refused.
        #expect(try refusal(at: channel, with: .curveClient(keys: client, serverKey: server.publicKey)) == nil)
    }

    /// A worker whose key the scheduler does not list says so within seconds, gives up on time
    /// (--give-up), and the scheduler names the refused key and counts it when it gives up.
    @Test func aWorkerWithAnUnlistedKeySaysSoAndGivesUp() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-refused-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (listed, other) = (KeyDirectory(directory.appendingPathComponent("keys")), KeyDirectory(directory.appendingPathComponent("other")))
        for name in ["scheduler", "w1"] { _ = try listed.generate(name) }
        _ = try other.generate("w1")
        try FileManager.default.copyItem(at: listed.url.appendingPathComponent("scheduler.pub"), to: other.url.appendingPathComponent("scheduler.pub"))
        let (scheduler, endpoint) = try startScheduler(["--workers", "1", "--model", "logreg", "--data", "synthetic", "--keys", listed.url.path,
                                                        "--registration-timeout", "8", "--run-dir", directory.appendingPathComponent("run").path],
                                                       includingErrors: true)
        let started = Date()
        let worker = try ProcessHarness(["worker", "--connect", endpoint, "--id", "w1", "--keys", other.url.path, "--give-up", "4", "--no-trace"],
                                        includingErrors: true)
        let told = try worker.waitForLine(containing: "refused w1's key", timeout: 10)
        #expect(told.contains("is w1.pub in the key directory there?"))
        #expect(Date().timeIntervalSince(started) < 4, "told after \(Date().timeIntervalSince(started)) s")
        #expect(worker.waitForExit(timeout: 10) == 1)
        #expect(worker.outputLines.last?.contains("giving up (--give-up). Last problem:") == true, "\(worker.outputLines)")
        let stranger = try other.publicKey("w1")
        #expect(try scheduler.waitForLine(containing: "refused a CURVE client", timeout: 5).contains(stranger))
        let failure = try scheduler.waitForLine(containing: "were refused at the handshake", timeout: 15)
        #expect(failure.contains("only 0 of 1 workers registered"))
    }
}
