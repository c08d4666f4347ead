import Foundation
import Testing
import TesseraTensor
import TesseraTestSupport
import TesseraTransport
import TesseraWire

/// A worker that joins properly and then answers its train task and its evaluate task with
/// garbage: the scheduler drops both answers, counts the worker as late and leaves it out of the
/// federated evaluation, and finishes the run with the others.
@Suite("A worker sending garbage", .serialized)
struct GarbageWorkerTests {
    @Test(arguments: ["wrong shapes", "not finite", "malformed bytes"])
    func schedulerKeepsGoing(kind: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-garbage-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "2", "--rounds", "1",
                                                        "--model", "logreg", "--data", "synthetic", "--deadline", "20", "--held-out", "0.1",
                                                        "--run-dir", directory.path])
        let honest = try ProcessHarness(["worker", "--connect", endpoint, "--id", "honest", "--trace-dir", directory.path])

        let socket = try Transport.zeroMQ.connect(endpoint, identity: "mallory")
        try socket.send(Envelope(id: 1, message: .register(workerID: "mallory", sampleCount: 10, labelHistogram: [])))
        var answered = false, answeredEvaluation = false
        let deadline = Date().addingTimeInterval(60)
        while !(answered && answeredEvaluation) && Date() < deadline {
            guard let received = try socket.receive(timeout: 1), case let .success(envelope) = received.envelope else { continue }
            switch envelope.message {
            case .welcome:
                try socket.send(Envelope(id: 2, replyTo: envelope.id, message: .done(objectCount: 0, byteCount: 0)))
            case let .trainTask(task):
                switch kind {
                case "wrong shapes":
                    try socket.send(Envelope(id: 3, replyTo: envelope.id, message: .update(TrainUpdate(
                        round: task.round, modelVersion: task.modelVersion, sampleCount: 10, isDelta: false, metrics: [:],
                        weights: [NamedTensor(name: "fc1.weight", tensor: Tensor([1, 2, 3]))]))))
                case "not finite":
                    let poisoned = task.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor * Float.nan) }
                    try socket.send(Envelope(id: 3, replyTo: envelope.id, message: .update(TrainUpdate(
                        round: task.round, modelVersion: task.modelVersion, sampleCount: 10, isDelta: false, metrics: [:],
                        weights: poisoned))))
                default:
                    try socket.sendRaw([Data([0x54, 0x53, 0x52, 0x41, 1, 21, 0, 0, 0xFF])], to: nil)
                }
                answered = true
            case let .evaluateTask(task):
                switch kind {
                case "wrong shapes":
                    try socket.send(Envelope(id: 4, replyTo: envelope.id, message: .evaluation(EvaluationResult(
                        round: task.round, sampleCount: 10, correctCount: 10, loss: -1))))
                case "not finite":
                    try socket.send(Envelope(id: 4, replyTo: envelope.id, message: .evaluation(EvaluationResult(
                        round: task.round, sampleCount: 10, correctCount: 10, loss: .nan))))
                default:
                    try socket.sendRaw([Data([0x54, 0x53, 0x52, 0x41, 1, 24, 0, 0, 0xFF])], to: nil)
                }
                answeredEvaluation = true
            default:
                continue
            }
        }
        #expect(answered && answeredEvaluation)
        let final = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(final.contains("after 1 rounds"))
        let metrics = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"received\":1"))
        #expect(metrics.contains("\"federated\":{") && metrics.contains("\"workers\":1"), "\(metrics)")
        #expect(!metrics.contains("NaN") && !metrics.contains("nan"))
        _ = honest.stop(timeout: 10)
    }

    /// A frame far larger than any honest message (the scheduler's limit is twice the model's
    /// weights plus 1 MiB) is dropped before it is received; the run goes on with the workers.
    @Test func anOversizedMessageIsDroppedAndTheRunGoesOn() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-oversized-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "1", "--rounds", "1",
                                                        "--model", "logreg", "--data", "synthetic", "--run-dir", directory.path])
        let flooder = try Transport.zeroMQ.connect(endpoint, identity: "flooder")
        for _ in 0..<3 { try flooder.sendRaw([Data(repeating: 0x54, count: 8 << 20)], to: nil) }
        let worker = try ProcessHarness(["worker", "--connect", endpoint, "--id", "honest", "--trace-dir", directory.path])
        let final = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(final.contains("after 1 rounds"))
        _ = worker.stop(timeout: 10)
        #expect(scheduler.waitForExit(timeout: 30) == 0)
        // Never received: the scheduler's trace has nothing from the flooder (it would show 24 MB
        // of "malformed" messages had they been read).
        let trace = try String(contentsOf: directory.appendingPathComponent("traces/scheduler.trace.jsonl"), encoding: .utf8)
        #expect(trace.contains("\"p\":\"honest\""))
        #expect(!trace.contains("\"p\":\"flooder\""), "the oversized frames were received")
    }
}
