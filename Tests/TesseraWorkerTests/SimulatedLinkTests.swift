import Foundation
import Testing
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

/// Simulated links on real ZeroMQ messages over loopback: latency each way, bandwidth, and loss
/// as TCP retransmissions, measured on the clock of the other side; and traced.
@Suite("Simulated links", .serialized)
struct SimulatedLinkTests {
    /// A server and a client behind `profile`; returns seconds from the client's send to the
    /// server's receipt of a `bytes`-byte put, and from the server's reply to the client's receipt.
    func measure(_ profile: LinkProfile, bytes: Int, tracer: TraceWriter? = nil) throws -> (up: Double, down: Double) {
        let server = try Transport.zeroMQ.bind("tcp://127.0.0.1:0")
        defer { server.close() }
        let client = SimulatedLinkChannel(try Transport.zeroMQ.connect(server.address, identity: "w"), profile: profile, seed: 7,
                                          tracer: tracer)
        defer { client.close() }
        let clock = SystemClock()
        let sent = clock.now
        try client.send(Envelope(id: 1, message: .put(id: 1, tensor: try Tensor.zeros([bytes / 4]))))
        // The client's own calls move its held messages on, as a worker's loop does.
        var arrived: Delivery?
        while arrived == nil && clock.now - sent < 30 {
            _ = try client.receive(timeout: 0.005)
            arrived = try server.receive(timeout: 0.005)
        }
        let up = clock.now - sent
        let delivery = try #require(arrived)
        let replied = clock.now
        try server.send(Envelope(id: 2, replyTo: 1, message: .done(objectCount: 1, byteCount: 0)), to: delivery.peer)
        _ = try #require(try client.receive(timeout: 30))
        return (up, clock.now - replied)
    }

    @Test func latencyDelaysBothWays() throws {
        let (up, down) = try measure(LinkProfile(latency: 0.2), bytes: 1024)
        #expect(up >= 0.2 && up < 1.5, "\(up) s up")
        #expect(down >= 0.2 && down < 1.5, "\(down) s down")
        let plain = try measure(LinkProfile(), bytes: 1024)
        #expect(plain.up < 0.2 && plain.down < 0.2)
    }

    @Test func bandwidthTakesSizeOverRate() throws {
        // 400 KB at 1 MB/s: 0.4 s up; the small reply is quick.
        let (up, down) = try measure(LinkProfile(bytesPerSecond: 1_000_000), bytes: 400_000)
        #expect(up >= 0.4 && up < 2, "\(up) s up")
        #expect(down < 0.2, "\(down) s down")
    }

    @Test func lossResendsPacketsAfterTheRetransmissionTimeoutAndIsTraced() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-link-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tracer = try TraceWriter(directory: directory, process: "w")
        // About ten packets at 50% loss: each lost one costs the 0.2 s retransmission timeout.
        let profile = LinkProfile(loss: 0.5)
        let (up, _) = try measure(profile, bytes: 10 * LinkProfile.packetBytes, tracer: tracer)
        tracer.flush()
        let trace = try String(contentsOf: directory.appendingPathComponent("w.trace.jsonl"), encoding: .utf8)
        let span = try #require(trace.split(separator: "\n").first { $0.contains("simulated link") && $0.contains("send put") }, "\(trace)")
        let lost = try #require(span.firstRange(of: "packets resent").flatMap { range in
            Int(span[..<range.lowerBound].split(separator: " ").last ?? "")
        }, "\(span)")
        #expect(lost > 0 && up >= 0.2 * Double(lost) && up < 0.2 * Double(lost) + 1, "\(up) s for \(lost) lost packets")
        // Over many packets the loss rate is the profile's.
        let profile20 = LinkProfile(loss: 0.2)
        var many = SeededGenerator(seed: 1)
        let rate = Double(profile20.lostPackets(100_000 * LinkProfile.packetBytes, using: &many)) / 100_000
        #expect(abs(rate - 0.2) < 0.01)
    }
}
