import Foundation
import Testing
import TesseraTransport
import TesseraWire

/// The loopback endpoints the docs name work as written: `localhost` and `[::1]`.
@Suite("Endpoints")
struct EndpointTests {
    /// A message from a channel connected to `connect` (the bound port put in for `PORT`)
    /// reaches one bound at `bind`.
    func delivers(bind: String, connect: String) throws -> Bool {
        let server = try Transport.zeroMQ.bind(bind)
        defer { server.close() }
        let port = server.address.split(separator: ":").last.map(String.init) ?? ""
        let client = try Transport.zeroMQ.connect(connect.replacingOccurrences(of: "PORT", with: port), identity: "c")
        defer { client.close() }
        try client.send(Envelope(id: 1, message: .heartbeat))
        return try server.receive(timeout: 5)?.peer == PeerID("c")
    }

    @Test func localhostAndIPv6LoopbackBindAndConnect() throws {
        #expect(try delivers(bind: "tcp://localhost:0", connect: "tcp://localhost:PORT"))
        #expect(try delivers(bind: "tcp://[::1]:0", connect: "tcp://[::1]:PORT"))
        #expect(try delivers(bind: "tcp://127.0.0.1:0", connect: "tcp://localhost:PORT"))
    }
}
