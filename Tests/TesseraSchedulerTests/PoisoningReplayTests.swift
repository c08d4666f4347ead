import Foundation
import Testing
import TesseraTensor
import TesseraTestSupport
import TesseraTransport
import TesseraWire

/// One peer poisoning a real run of three workers (logreg): whether it sends weights of 1e30, or
/// registers 10^15 samples and sends its model's weights negated, the final accuracy stays
/// within 2 points of the same run in which it only answers with errors.
@Suite("Poisoning replayed on a real run", .serialized)
struct PoisoningReplayTests {
    enum Peer {
        case silent, huge, flipped
    }

    /// The final accuracy of a 3-round run of two honest workers and `mallory` behaving as `peer`.
    func finalAccuracy(_ peer: Peer) throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-poison-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "3", "--model", "logreg", "--data", "synthetic",
                                                        "--deadline", "60", "--run-dir", directory.path])
        let honest = try ["honest-1", "honest-2"].map {
            try ProcessHarness(["worker", "--connect", endpoint, "--id", $0, "--data", "synthetic", "--no-trace"])
        }
        defer { for worker in honest { _ = worker.stop(timeout: 10) } }
        let mallory = try Transport.zeroMQ.connect(endpoint, identity: "mallory")
        let claimed: UInt64 = peer == .flipped ? 1_000_000_000_000_000 : 100
        try mallory.send(Envelope(id: 1, message: .register(workerID: "mallory", sampleCount: peer == .flipped ? claimed : 0,
                                                            labelHistogram: [])))
        var nextID: UInt64 = 1
        var tasks = 0
        let deadline = Date().addingTimeInterval(90)
        while tasks < 3 && Date() < deadline {
            guard let delivery = try mallory.receive(timeout: 1), case let .success(envelope) = delivery.envelope else { continue }
            nextID += 1
            switch envelope.message {
            case .welcome:
                try mallory.send(Envelope(id: nextID, replyTo: envelope.id, message: .done(objectCount: 0, byteCount: 0)))
            case let .trainTask(task):
                tasks += 1
                let answer: Message = switch peer {
                case .silent: .error(code: 100, message: "no update")
                case .huge: .update(TrainUpdate(round: task.round, modelVersion: task.modelVersion, sampleCount: claimed, isDelta: false,
                                                metrics: [:], weights: task.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor * 0 + 1e30) }))
                case .flipped: .update(TrainUpdate(round: task.round, modelVersion: task.modelVersion, sampleCount: claimed, isDelta: false,
                                                   metrics: [:], weights: task.weights.map { NamedTensor(name: $0.name, tensor: -$0.tensor) }))
                }
                try mallory.send(Envelope(id: nextID, replyTo: envelope.id, message: answer))
            default:
                continue
            }
        }
        let line = try scheduler.waitForLine(containing: "final accuracy", timeout: 90)
        #expect(scheduler.waitForExit(timeout: 30) == 0)
        let rounds = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return try #require(rounds.last?["accuracy"] as? Double, "\(line)")
    }

    @Test func onePoisoningPeerMovesTheFinalAccuracyByAtMostTwoPoints() throws {
        let baseline = try finalAccuracy(.silent)
        let huge = try finalAccuracy(.huge)
        let flipped = try finalAccuracy(.flipped)
        print("poisoning replay: final accuracy \(baseline) without the attack, \(huge) with 1e30 weights, \(flipped) with 10^15 samples and negated weights")
        #expect(baseline > 0.5)
        #expect(abs(huge - baseline) <= 0.02, "1e30 weights: \(huge) against \(baseline)")
        #expect(abs(flipped - baseline) <= 0.02, "10^15 samples, negated: \(flipped) against \(baseline)")
    }
}
