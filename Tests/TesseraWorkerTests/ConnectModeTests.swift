import Foundation
import TesseraTestSupport
import Testing
import TesseraTensor
import TesseraTransport
import TesseraWire

/// `tessera worker --connect`: the worker dials a ROUTER, registers with its data size and
/// label histogram, heartbeats, serves requests routed to it by name, and says bye on SIGTERM.
@Suite("Worker in connect mode", .serialized)
struct ConnectModeTests {
    @Test func registersHeartbeatsServesAndSaysBye() throws {
        let socket = try Transport.zeroMQ.bind("tcp://127.0.0.1:0")
        let endpoint = socket.address
        let worker = try ProcessHarness(["worker", "--connect", endpoint, "--id", "dave", "--data", "synthetic",
                                         "--trace-dir", temporaryTraceDirectory.path])

        func next(_ timeout: Double = 30) throws -> (PeerID, Envelope) {
            guard let received = try socket.receive(timeout: timeout) else {
                throw HarnessError(description: "nothing from the worker within \(timeout) s")
            }
            return (received.peer, try received.envelope.get())
        }
        let (identity, registration) = try next()
        #expect(identity == PeerID("dave"))
        guard case let .register(name, samples, histogram) = registration.message else {
            Issue.record("expected register, got \(registration.message.kindName)"); return
        }
        #expect(name == "dave" && samples == 12_000 && histogram == Array(repeating: 1_200, count: 10))

        try socket.send(Envelope(id: 50, message: .put(id: 1, tensor: Tensor([1, -1]))), to: identity)
        var reply: Envelope
        repeat { reply = try next().1 } while reply.replyTo != 50
        #expect(reply.message == .done(objectCount: 1, byteCount: 8))

        var sawHeartbeat = false
        for _ in 0..<5 where !sawHeartbeat {
            if case .heartbeat = try next(5).1.message { sawHeartbeat = true }
        }
        #expect(sawHeartbeat)

        #expect(worker.stop() == 0)
        var sawBye = false
        while !sawBye, let received = try socket.receive(timeout: 5) {
            if case .bye? = try? received.envelope.get().message { sawBye = true }
        }
        #expect(sawBye)
    }
}
