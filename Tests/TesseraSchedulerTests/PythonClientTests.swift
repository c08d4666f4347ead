import Foundation
import TesseraTestSupport
import Testing

/// The `python/` package (`import tessera`): a PyTorch client with its own training loop beside
/// Swift workers in synchronous rounds, and a NumPy client in an asynchronous (FedBuff) run, each
/// with its updates aggregated.
@Suite("Python client package", .serialized)
struct PythonClientTests {
    static let withNumPy = pythonImports("zmq, numpy, safetensors")
    static let withTorch = pythonImports("zmq, numpy, safetensors, torch")
    /// The model of the PyTorch clients' runs: `Sequential(Linear(16, 32), ReLU(), Linear(32, 4))`.
    /// The model of the NumPy client's runs (softmax regression): `fc1.weight`, `fc1.bias`.
    static let linear = #"{"name": "blobs-linear", "input": [16], "layers": [{"linear": {"out": 4}}]}"#
    static let mlp = #"{"name": "blobs-mlp", "input": [16], "layers": [{"linear": {"out": 32}}, "relu", {"linear": {"out": 4}}]}"#

    /// Four Gaussian blobs in 16 dimensions (float32 x, int64 y), 1,200 samples in a random
    /// order of classes (so every part has them all), written by NumPy.
    static func writeBlobs(in directory: URL) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("blobs.safetensors").path
        let writer = try ProcessHarness(program: "/usr/bin/env", ["python3", "-c", """
            import numpy as np
            from safetensors.numpy import save_file
            rng = np.random.default_rng(3); y = rng.integers(0, 4, 1200)
            x = (rng.normal(size=(1200, 16)) * 0.75 + (np.arange(16)[None, :] % 4 == y[:, None]) * 2).astype(np.float32)
            save_file({"x": x, "y": y.astype(np.int64)}, "\(file)")
            """], includingErrors: true)
        #expect(writer.waitForExit(timeout: 60) == 0, "\(writer.outputLines)")
        return file
    }

    /// A Python client from examples/python, with the package on its path (as `pip install ./python` would put it).
    static func client(_ script: String, _ endpoint: String, id: String, data: String, options: [String] = []) throws -> ProcessHarness {
        try ProcessHarness(program: "/usr/bin/env", ["PYTHONPATH=python", "python3", "examples/python/\(script)", endpoint, "--id", id,
                                                     "--data", data, "--part", "2/4"] + options, includingErrors: true)
    }

    static func rounds(in directory: URL) throws -> [[String: Any]] {
        try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A PyTorch client with its own training loop takes part beside two Swift workers, all of
    /// them sending their changes in bfloat16 (`--update-precision bfloat16`), and the model
    /// learns.
    @Test(.enabled(if: withTorch, "needs python3 with pyzmq, numpy, safetensors and torch (make test installs them)"))
    func aPyTorchClientWithItsOwnLoopIsAggregatedWithSwiftWorkers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-torch-client-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Self.writeBlobs(in: directory)
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "3", "--data", data, "--model", Self.mlp,
                                                        "--run-dir", directory.appendingPathComponent("run").path, "--deadline", "120",
                                                        "--update-precision", "bfloat16"])
        defer { _ = scheduler.stop() }
        let swift = try ["swift-a", "swift-b"].map { try ProcessHarness(["worker", "--connect", endpoint, "--id", $0, "--no-trace"]) }
        let torch = try Self.client("torch_client.py", endpoint, id: "torch-c", data: data)
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 240)
        let rounds = try Self.rounds(in: directory.appendingPathComponent("run"))
        #expect(rounds.count == 3)
        for round in rounds { #expect(round["contributors"] as? [String] == ["swift-a", "swift-b", "torch-c"], "\(round)") }
        #expect((rounds.last?["accuracy"] as? Double ?? 0) > 0.8, "\(rounds)")
        #expect(torch.waitForExit(timeout: 30) == 0, "\(torch.outputLines)")
        #expect(torch.outputLines.contains { $0.contains("torch-c: round 3 trained on 300 samples") && $0.contains("change sent in bfloat16") },
                "\(torch.outputLines)")
        for worker in swift { #expect(worker.waitForExit(timeout: 20) == 0) }
    }

    @Test(.enabled(if: withNumPy, "needs python3 with pyzmq, numpy and safetensors (make test installs them)"))
    func aNumPyClientTakesPartInAnAsynchronousRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-numpy-client-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Self.writeBlobs(in: directory)
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "12", "--mode", "fedbuff", "--buffer-size", "2",
                                                        "--data", data, "--model", Self.linear,
                                                        "--run-dir", directory.appendingPathComponent("run").path, "--deadline", "120"])
        defer { _ = scheduler.stop() }
        // The Swift workers take 0.3 s more per task, so that the Python client's updates are not always the stalest.
        let swift = try ["swift-a", "swift-b"].map {
            try ProcessHarness(["worker", "--connect", endpoint, "--id", $0, "--no-trace", "--slow", "0.3"])
        }
        let numpy = try Self.client("numpy_client.py", endpoint, id: "numpy-c", data: data)
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 240)
        let steps = try Self.rounds(in: directory.appendingPathComponent("run"))
        #expect(steps.count == 12)
        let fromPython = steps.filter { ($0["contributors"] as? [String])?.contains("numpy-c") == true }.count
        #expect(fromPython >= 2, "\(steps)")
        #expect((steps.last?["accuracy"] as? Double ?? 0) > 0.8, "\(steps)")
        #expect(numpy.waitForExit(timeout: 30) == 0, "\(numpy.outputLines)")
        for worker in swift { #expect(worker.waitForExit(timeout: 20) == 0) }
    }

    /// With `data.held_out`, every round's model goes to the clients for federated evaluation:
    /// a TorchClient given an `eval_loader` answers with its loss and accuracy beside the Swift
    /// workers; one whose module does not fit the run's model says which weight differs.
    @Test(.enabled(if: withTorch, "needs python3 with pyzmq, numpy, safetensors and torch (make test installs them)"))
    func aPyTorchClientEvaluatesOnItsHeldOutData() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-torch-evaluate-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Self.writeBlobs(in: directory)
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "3", "--data", data, "--model", Self.mlp, "--held-out", "0.2",
                                                        "--run-dir", directory.appendingPathComponent("run").path, "--deadline", "120"])
        defer { _ = scheduler.stop() }
        let swift = try ["swift-a", "swift-b"].map { try ProcessHarness(["worker", "--connect", endpoint, "--id", $0, "--no-trace"]) }
        // Its own part of the file: 240 samples to train on, 60 held out (the scheduler allows at most a fifth of a share).
        let torch = try ProcessHarness(program: "/usr/bin/env", ["PYTHONPATH=python", "python3", "-c", """
            import torch
            from safetensors.numpy import load_file
            from torch.utils.data import DataLoader, TensorDataset
            import tessera
            data = load_file("\(data)")
            x, y = torch.from_numpy(data["x"][2::4]), torch.from_numpy(data["y"][2::4])
            train = DataLoader(TensorDataset(x[:240], y[:240]), batch_size=32, shuffle=True)
            held_out = DataLoader(TensorDataset(x[240:], y[240:]), batch_size=32)
            model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
            tessera.start_client("\(endpoint)", tessera.TorchClient(model, train, eval_loader=held_out), id="torch-c")
            """], includingErrors: true)
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 240)
        let rounds = try Self.rounds(in: directory.appendingPathComponent("run"))
        #expect(rounds.count == 3)
        for round in rounds {
            let federated = round["federated"] as? [String: Any] ?? [:]
            #expect(federated["workers"] as? Int == 3, "\(round)")
        }
        let last = rounds.last?["federated"] as? [String: Any] ?? [:]
        #expect((last["minimumAccuracy"] as? Double ?? 0) > 0.6, "\(last)")
        #expect(torch.waitForExit(timeout: 30) == 0, "\(torch.outputLines)")
        for worker in swift { #expect(worker.waitForExit(timeout: 20) == 0) }

        let misfit = try ProcessHarness(program: "/usr/bin/env", ["PYTHONPATH=python", "python3", "-c", """
            import numpy as np, torch
            from torch.utils.data import DataLoader, TensorDataset
            import tessera
            held_out = DataLoader(TensorDataset(torch.zeros(4, 16), torch.zeros(4, dtype=torch.int64)))
            client = tessera.TorchClient(torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4)), None, eval_loader=held_out)
            weights = {"fc1.weight": np.zeros((32, 16), np.float32), "fc1.bias": np.zeros(32, np.float32),
                       "fc2.weight": np.zeros((4, 32), np.float32), "fc2.bias": np.zeros(4, np.float32)}
            try:
                client.evaluate(weights, {"round": 1})
            except ValueError as error:
                print("refused:", error)
            """], includingErrors: true)
        #expect(misfit.waitForExit(timeout: 60) == 0, "\(misfit.outputLines)")
        #expect(misfit.outputLines.contains("refused: the run's fc1.weight is [32, 16], this module's 0.weight is [8, 16]"), "\(misfit.outputLines)")
    }

    /// Over CURVE: the client's own key and the scheduler's, from `tessera keys generate`'s
    /// directory; with a key the scheduler does not list, the client is never admitted.
    @Test(.enabled(if: withNumPy, "needs python3 with pyzmq, numpy and safetensors (make test installs them)"))
    func aNumPyClientJoinsASecuredRunWithItsKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-curve-client-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Self.writeBlobs(in: directory)
        let keys = directory.appendingPathComponent("keys").path, stranger = directory.appendingPathComponent("stranger").path
        #expect(try ProcessHarness(["keys", "generate", "scheduler", "swift-a", "numpy-c", "--dir", keys]).waitForExit(timeout: 30) == 0)
        #expect(try ProcessHarness(["keys", "generate", "scheduler", "numpy-c", "--dir", stranger]).waitForExit(timeout: 30) == 0)
        let (scheduler, endpoint) = try startScheduler(["--workers", "2", "--rounds", "2", "--data", data, "--model", Self.linear, "--keys", keys,
                                                        "--run-dir", directory.appendingPathComponent("run").path, "--deadline", "120"])
        defer { _ = scheduler.stop() }
        // A client with keys the scheduler does not list: refused, and it gives up as told.
        let refused = try ProcessHarness(program: "/usr/bin/env", ["PYTHONPATH=python", "python3", "-c", """
            import tessera
            class Idle(tessera.NumPyClient):
                pass
            try:
                tessera.start_client("\(endpoint)", Idle(), id="numpy-c", keys="\(stranger)", give_up=3)
            except TimeoutError as error:
                print("gave up:", error)
            """], includingErrors: true)
        #expect(refused.waitForExit(timeout: 30) == 0)
        #expect(refused.outputLines.contains { $0.hasPrefix("gave up:") }, "\(refused.outputLines)")
        let swift = try ProcessHarness(["worker", "--connect", endpoint, "--id", "swift-a", "--no-trace", "--keys", keys])
        let numpy = try Self.client("numpy_client.py", endpoint, id: "numpy-c", data: data, options: ["--keys", keys])
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 240)
        let rounds = try Self.rounds(in: directory.appendingPathComponent("run"))
        for round in rounds { #expect(round["contributors"] as? [String] == ["numpy-c", "swift-a"], "\(round)") }
        #expect(numpy.waitForExit(timeout: 30) == 0, "\(numpy.outputLines)")
        #expect(swift.waitForExit(timeout: 20) == 0)
    }
}
