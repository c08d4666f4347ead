import Foundation
import TesseraData
import TesseraTestSupport
import Testing

/// docs/PROTOCOL.md's federated-training contract, followed by a worker in another language:
/// examples/python/worker.py (the `tessera` package of python/: pyzmq + numpy) joins a `tessera scheduler` beside two Swift
/// workers, and its updates are aggregated with theirs every round. On MNIST when it is here,
/// else on the synthetic digits written as MNIST's IDX files, so the contract is always tested.
@Suite("Python worker", .serialized)
struct PythonWorkerTests {
    /// MNIST where the tests find it (the Python worker reads its own share of the IDX files).
    static let mnist: String? = [ProcessInfo.processInfo.environment["TESSERA_DATA"], "../shared/data/mnist"]
        .compactMap { $0 }.first { FileManager.default.fileExists(atPath: "\($0)/train-images-idx3-ubyte.gz") }

    /// Writes the synthetic digits into `directory` as MNIST's four IDX files.
    static func writeSyntheticIDX(to directory: URL) throws {
        let (train, test) = try SyntheticDigits.make(seed: 1)
        func idx(_ dimensions: [Int], _ bytes: [UInt8], _ name: String) throws {
            var data = Data([0, 0, 0x08, UInt8(dimensions.count)])
            for dimension in dimensions { data += withUnsafeBytes(of: UInt32(dimension).bigEndian) { Data($0) } }
            try (data + Data(bytes)).write(to: directory.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (set, prefix) in [(train, "train"), (test, "t10k")] {
            guard case let .bytes(pixels) = set.values else { throw CancellationError() }
            try idx([set.count] + set.sampleShape.dropFirst(), pixels, "\(prefix)-images-idx3-ubyte")
            try idx([set.count], set.labels.map { UInt8($0) }, "\(prefix)-labels-idx1-ubyte")
        }
    }

    @Test(.enabled(if: pythonWithZMQ, "needs python3 with pyzmq and numpy (make test installs them)"),
          arguments: ["logreg", "mnist-2nn"])
    func joinsBesideSwiftWorkersAndIsAggregated(model: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-python-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data: String
        if let mnist = Self.mnist {
            data = mnist
        } else {
            data = directory.appendingPathComponent("synthetic-idx").path
            try Self.writeSyntheticIDX(to: URL(fileURLWithPath: data))
        }
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "2",
                                                        "--model", model, "--data", data, "--run-dir", directory.path, "--deadline", "120"])
        let swift = try ["swift-a", "swift-b"].map {
            try ProcessHarness(["worker", "--connect", endpoint, "--id", $0, "--trace-dir", directory.appendingPathComponent("traces").path])
        }
        let python = try ProcessHarness(program: "/usr/bin/env", ["PYTHONPATH=python", "python3", "examples/python/worker.py", endpoint, "--id", "python-c", "--data", data],
                                        includingErrors: true)
        do {
            _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 180)
        } catch {
            Issue.record("the run did not finish; the Python worker said: \(python.outputLines)")
            throw error
        }
        let rounds = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rounds.count == 2)
        for round in rounds {
            #expect(round["contributors"] as? [String] == ["python-c", "swift-a", "swift-b"], "\(round)")
            #expect((round["trainLoss"] as? Double).map { $0 > 0 && $0 < 3 } == true, "\(round)")
        }
        // Two rounds reach 85 % on MNIST; the synthetic digits are harder to learn linearly.
        #expect((rounds.last?["accuracy"] as? Double ?? 0) > (Self.mnist != nil ? 0.85 : 0.6), "\(rounds)")
        #expect(python.waitForExit(timeout: 20) == 0, "\(python.outputLines)")
        #expect(python.outputLines.contains { $0.contains("round 2 trained") })
        for worker in swift { #expect(worker.stop(timeout: 10) == 0) }
    }
}
