import Foundation
import Testing
import TesseraTensor
import TesseraTestSupport
import TesseraTransport
import TesseraWire

/// The attacks, replayed against a real scheduler process: a registered worker that lies
/// (registers as another worker, claims 2^64-1 samples, sends absurd evaluations) is refused at
/// every step, a second connection under a live worker's routing id is never heard, and the run
/// ends with exactly the accuracy of the same run in which that worker only answers with errors.
@Suite("Attacks replayed on a real run", .serialized)
struct AttackReplayTests {
    /// Runs a 2-worker, 2-round run in which `mallory` behaves as `attacking` says; returns the
    /// final accuracy and the scheduler's trace.
    func run(attacking: Bool) throws -> (accuracy: Double, trace: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-replay-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "2", "--rounds", "2",
                                                        "--model", "logreg", "--data", "synthetic", "--deadline", "60", "--held-out", "0.1",
                                                        "--run-dir", directory.path])
        let honest = try ProcessHarness(["worker", "--connect", endpoint, "--id", "honest", "--trace-dir", directory.path])
        let mallory = try Transport.zeroMQ.connect(endpoint, identity: "mallory")
        try mallory.send(Envelope(id: 1, message: .register(workerID: "mallory", sampleCount: 0, labelHistogram: [])))
        var nextID: UInt64 = 2
        func send(_ message: Message, replyTo: UInt64 = 0) throws {
            nextID += 1
            try mallory.send(Envelope(id: nextID, replyTo: replyTo, message: message))
        }
        // A connection that takes the honest worker's routing id while it lives, and registers
        // as it: libzmq keeps the id with the live connection, so this one is never heard.
        var impostor: (any MessageChannel)?
        var impostorHeard = 0
        var evaluations = 0
        let deadline = Date().addingTimeInterval(90)
        while evaluations < 2 && Date() < deadline {
            guard let delivery = try mallory.receive(timeout: 1), case let .success(envelope) = delivery.envelope else { continue }
            switch envelope.message {
            case .welcome:
                try send(.done(objectCount: 0, byteCount: 0), replyTo: envelope.id)
                if attacking {
                    impostor = try Transport.zeroMQ.connect(endpoint, identity: "honest")
                    try impostor?.send(Envelope(id: 1, message: .register(workerID: "honest", sampleCount: 10, labelHistogram: [])))
                }
                // Speak for the honest worker: refused, it keeps its tasks.
                if attacking { try send(.register(workerID: "honest", sampleCount: 10, labelHistogram: [])) }
            case let .trainTask(task):
                if attacking {
                    let weights = task.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor * 1000) }
                    try send(.update(TrainUpdate(round: task.round, modelVersion: task.modelVersion, sampleCount: .max,
                                                 isDelta: false, metrics: ["loss": 0], weights: weights)), replyTo: envelope.id)
                } else {
                    try send(.error(code: 100, message: "no update"), replyTo: envelope.id)
                }
            case let .evaluateTask(task):
                if attacking {
                    try send(.evaluation(EvaluationResult(round: task.round, sampleCount: .max, correctCount: .max, loss: 0)),
                             replyTo: envelope.id)
                } else {
                    try send(.error(code: 100, message: "no evaluation"), replyTo: envelope.id)
                }
                evaluations += 1
            default:
                continue
            }
            while try impostor?.receive(timeout: 0) != nil { impostorHeard += 1 }
        }
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 90)
        #expect(impostorHeard == 0, "a second connection under a live worker's id was answered")
        #expect(scheduler.waitForExit(timeout: 30) == 0)
        _ = honest.stop(timeout: 10)
        let rounds = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rounds.count == 2 && rounds.allSatisfy { $0["contributors"] as? [String] == ["honest"] }, "\(rounds)")
        #expect(rounds.allSatisfy { ($0["federated"] as? [String: Any])?["workers"] as? Int == 1 }, "\(rounds)")
        let trace = try String(contentsOf: directory.appendingPathComponent("traces/scheduler.trace.jsonl"), encoding: .utf8)
        return (rounds.last?["accuracy"] as? Double ?? .nan, trace)
    }

    @Test func liesAreRefusedAndTheRunEndsAsWithoutThem() throws {
        let attacked = try run(attacking: true)
        let baseline = try run(attacking: false)
        #expect(attacked.accuracy == baseline.accuracy, "attacked \(attacked.accuracy), without the attack \(baseline.accuracy)")
        // Each refusal is in the trace.
        #expect(attacked.trace.contains("refused registration") && attacked.trace.contains("rejected update")
                && attacked.trace.contains("rejected evaluation"))
    }
}
