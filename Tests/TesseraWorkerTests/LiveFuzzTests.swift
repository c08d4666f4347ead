import Foundation
import TesseraTensor
import TesseraTestSupport
import TesseraTransport
import TesseraWire
import Testing

/// A real worker process driven through its socket with mutated messages (20,000 here;
/// `make fuzz` sends 1,000,000): it never exits, and answers every well-formed request among them.
@Suite("A live worker under mutated messages", .serialized)
struct WorkerLiveFuzzTests {
    @Test func aWorkerProcessAnswersEveryWellFormedRequestAmongMutatedOnes() throws {
        // Small limits, so that what a mutation asks for is refused or quick. Its standard error
        // is kept: a crash's message and backtrace are what a failure shows.
        let worker = try ProcessHarness(["worker", "--bind", "tcp://127.0.0.1:0", "--id", "fuzzed", "--no-trace",
                                         "--max-bytes", "67108864", "--max-work", "1000000000"], includingErrors: true)
        defer { _ = worker.stop() }
        let endpoint = String(try worker.waitForLine(containing: "serving on").split(separator: " ").last ?? "")
        // Its requests are numbered far from the mutated messages' ids, which a mutation may change
        // to any small number: a reply to one of those must not pass for the probe's answer.
        let client = try RequestClient(connectingTo: endpoint, firstMessageID: 1 << 62)
        let probeID: TensorID = 987_654_321
        let started = Date()
        try LiveFuzz.campaign(count: LiveFuzz.count, seed: 21) { frames in
            try client.channel.sendRaw(frames, to: nil)
        } probe: { sent in
            try LiveFuzz.explainingFailure(of: worker, after: sent) {
                guard worker.process.isRunning else { throw HarnessError(description: "the worker exited") }
                let value = Tensor([Float(sent), -1])
                let stored = try client.request(.put(id: probeID, tensor: value), timeout: 60)
                guard case .done = stored else { throw HarnessError(description: "put answered \(stored)") }
                let fetched = try client.request(.get(id: probeID), timeout: 60)
                guard fetched == .tensor(id: probeID, tensor: value) else { throw HarnessError(description: "get answered \(fetched)") }
            }
        }
        #expect(worker.process.isRunning)
        print("live worker fuzz: \(LiveFuzz.count) mutated messages in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// The 40-byte put of an empty tensor of shape [0, 2^32 - 1] once ended a bound worker (the
    /// tensor layer's refusal escaped its loop): it is refused as a limit (error 7), and the
    /// worker goes on serving.
    @Test func aPutOfAnEmptyTensorWithAHugeDimensionIsRefusedAndTheWorkerGoesOn() throws {
        let (worker, endpoint) = try startWorker(id: "empty", extra: ["--no-trace"])
        defer { _ = worker.stop() }
        let client = try RequestClient(connectingTo: endpoint, firstMessageID: 1 << 62)
        var header = Data("TSRA".utf8) + [1, 10, 0, 0]   // magic, version 1, type 10 (put), no flags
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        append(UInt64(5)); append(UInt64(0)); append(UInt32(18))          // id, reply-to, body length
        append(UInt64(1)); header.append(contentsOf: [1, 2]); append(UInt32(0)); append(UInt32.max)  // tensor 1: float32, [0, 2^32 - 1]
        let reply = try client.requestRaw([header, Data()], timeout: 10)
        guard case let .error(code, _) = reply else { Issue.record("answered \(reply)"); return }
        #expect(code == 7)
        #expect(worker.process.isRunning)
        #expect(try client.request(.put(id: 2, tensor: Tensor([1, 2])), timeout: 10) == .done(objectCount: 1, byteCount: 8))
    }

    /// The size limit holds per message, not only per frame: 64 frames of 64 KiB (4 MiB) to a
    /// worker allowing 1 MiB are let go as they are read, answered with error 7, and the worker
    /// goes on serving.
    @Test func aMessageOfManySmallFramesOverTheLimitIsRefused() throws {
        let (worker, endpoint) = try startWorker(id: "limited", extra: ["--no-trace", "--max-message-bytes", "1048576"])
        defer { _ = worker.stop() }
        let client = try RequestClient(connectingTo: endpoint, firstMessageID: 1 << 62)
        let header = try WireCodec().encode(Envelope(id: 5, message: .heartbeat))[0]
        let reply = try client.requestRaw([header] + Array(repeating: Data(count: 1 << 16), count: 64), timeout: 10)
        guard case let .error(code, text) = reply else { Issue.record("answered \(reply)"); return }
        #expect(code == 7 && text.contains("exceeds the limit of 1048576 bytes"), "\(text)")
        #expect(try client.request(.put(id: 2, tensor: Tensor([1, 2])), timeout: 10) == .done(objectCount: 1, byteCount: 8))
    }
}
