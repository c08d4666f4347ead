import Foundation
import TesseraTestSupport
import Testing

/// docs/PROTOCOL.md's federated-training contract, followed by a worker in another language:
/// examples/python/worker.py (pyzmq + numpy) joins a `tessera scheduler` beside two Swift
/// workers, and its updates are aggregated with theirs every round.
@Suite("Python worker", .serialized)
struct PythonWorkerTests {
    /// MNIST where the tests find it (the Python worker reads its own share of the IDX files).
    static let mnist: String? = [ProcessInfo.processInfo.environment["TESSERA_DATA"], "../shared/data/mnist"]
        .compactMap { $0 }.first { FileManager.default.fileExists(atPath: "\($0)/train-images-idx3-ubyte.gz") }

    @Test(.enabled(if: pythonWithZMQ, "needs python3 with pyzmq and numpy (make test installs them)"),
          .enabled(if: mnist != nil, "needs MNIST's IDX files (TESSERA_DATA or ../shared/data/mnist)"),
          arguments: ["logreg", "mnist-2nn"])
    func joinsBesideSwiftWorkersAndIsAggregated(model: String) throws {
        let data = try #require(Self.mnist)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-python-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "2",
                                                        "--model", model, "--data", data, "--run-dir", directory.path, "--deadline", "120"])
        let swift = try ["swift-a", "swift-b"].map {
            try ProcessHarness(["worker", "--connect", endpoint, "--id", $0, "--trace-dir", directory.appendingPathComponent("traces").path])
        }
        let python = try ProcessHarness(program: "python3", ["examples/python/worker.py", endpoint, "--id", "python-c", "--data", data],
                                        includingErrors: true)
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 180)
        let rounds = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rounds.count == 2)
        for round in rounds {
            #expect(round["contributors"] as? [String] == ["python-c", "swift-a", "swift-b"], "\(round)")
            #expect((round["trainLoss"] as? Double).map { $0 > 0 && $0 < 3 } == true, "\(round)")
        }
        #expect((rounds.last?["accuracy"] as? Double ?? 0) > 0.85, "\(rounds)")
        #expect(python.waitForExit(timeout: 20) == 0, "\(python.outputLines)")
        #expect(python.outputLines.contains { $0.contains("round 2 trained") })
        for worker in swift { #expect(worker.stop(timeout: 10) == 0) }
    }
}
