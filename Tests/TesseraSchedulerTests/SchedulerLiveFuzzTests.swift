import Foundation
import TesseraTestSupport
import TesseraTransport
import TesseraWire
import Testing

/// A real scheduler process driven through its socket with mutated messages (20,000 here;
/// `make fuzz` sends 1,000,000) from a peer that registered as a worker, before the run and
/// during its rounds: it never exits, answers every well-formed request among them, and the
/// run completes with the real worker beside the fuzzing one.
@Suite("A live scheduler under mutated messages", .serialized)
struct SchedulerLiveFuzzTests {
    @Test func aSchedulerProcessServesAndCompletesItsRunAmongMutatedMessages() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fuzz-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "2", "--rounds", "3", "--model", "logreg", "--data", "synthetic",
                                                        "--deadline", "4", "--quorum", "1", "--registration-timeout", "600",
                                                        "--run-dir", directory.path], includingErrors: true)
        defer { _ = scheduler.stop() }
        let fuzzer = try Transport.zeroMQ.connect(endpoint, identity: "fuzzer")
        try fuzzer.send(Envelope(id: 1, message: .register(workerID: "fuzzer", sampleCount: 0, labelHistogram: [])))
        // A stranger's request, well-formed, is answered (it is told to register first). Its
        // requests are numbered far from the mutated messages' ids.
        let stranger = try RequestClient(connectingTo: endpoint, firstMessageID: 1 << 62)
        func probe(_ sent: Int) throws {
            while try fuzzer.receive(timeout: 0) != nil {}
            try LiveFuzz.explainingFailure(of: scheduler, after: sent) {
                guard scheduler.process.isRunning else { throw HarnessError(description: "the scheduler exited") }
                let reply = try stranger.request(.get(id: 1), timeout: 60)
                guard case let .error(_, text) = reply, text.contains("register") else {
                    throw HarnessError(description: "a stranger's request was answered \(reply)")
                }
            }
        }
        let count = LiveFuzz.count
        try LiveFuzz.campaign(count: count, seed: 22, send: { try fuzzer.sendRaw($0, to: nil) }, probe: probe)
        // The real worker makes two: the fuzzing peer is welcomed too, answers its welcome, then
        // goes on sending garbage through the rounds (whose deadline and quorum carry them). The
        // real worker takes 2 s a task, so the rounds last long enough to be fuzzed.
        let worker = try ProcessHarness(["worker", "--connect", endpoint, "--id", "w1", "--data", "synthetic", "--no-trace", "--slow", "2"])
        defer { _ = worker.stop() }
        let deadline = Date().addingTimeInterval(120)
        var welcomed = false
        while !welcomed && Date() < deadline {
            guard let delivery = try fuzzer.receive(timeout: 1), case let .success(envelope) = delivery.envelope else { continue }
            if case .welcome = envelope.message {
                try fuzzer.send(Envelope(id: 2, replyTo: envelope.id, message: .done(objectCount: 0, byteCount: 0)))
                welcomed = true
            }
        }
        #expect(welcomed)
        // Until the run ends (it stops the campaign at the next probe) or a tenth of the count.
        let isOver = { scheduler.outputLines.contains { $0.contains("final accuracy") } }
        let during = try LiveFuzz.campaign(count: count / 10, seed: 23, isOver: isOver, send: { try fuzzer.sendRaw($0, to: nil) },
                                           probe: probe)
        #expect(during >= min(count / 10, 1_000), "only \(during) mutated messages reached the scheduler during its rounds")
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        // Then it writes the run's report, which reads its trace: a million messages' worth
        // takes a minute in a debug build.
        #expect(scheduler.waitForExit(timeout: 300) == 0)
        print("live scheduler fuzz: \(count) mutated messages before the run, \(during) during its rounds")
    }
}
