import Foundation
import Testing
import TesseraTestSupport

/// kill -9 of the scheduler: its workers notice the silence (it heartbeats them every second),
/// keep registering, and join the scheduler started again on the same address; a worker whose
/// scheduler never comes back gives up and exits, so no worker is orphaned.
@Suite("A scheduler that goes away", .serialized)
struct SchedulerRestartTests {
    @Test func workersRejoinARestartedSchedulerAndGiveUpOnAGoneOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-restart-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["--model", "logreg", "--data", "synthetic", "--rounds", "1"]
        // The first scheduler waits for two workers; one registers, then the scheduler is killed.
        let (first, endpoint) = try startScheduler(common + ["--workers", "2", "--run-dir", directory.appendingPathComponent("a").path])
        let worker = try ProcessHarness(["worker", "--connect", endpoint, "--id", "w0", "--scheduler-timeout", "2", "--give-up", "60",
                                         "--trace-dir", directory.path], includingErrors: true)
        defer { _ = worker.stop() }
        #expect(first.stop(signal: SIGKILL) != nil)
        // It says so: "no message … registering again" if it had heard the scheduler, else
        // "no reply … retrying"; either way it keeps registering.
        let deadline = Date().addingTimeInterval(15)
        while !worker.outputLines.contains(where: { $0.contains("registering again") || $0.contains("retrying") }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(worker.outputLines.contains { $0.contains("registering again") || $0.contains("retrying") }, "\(worker.outputLines)")
        // A new scheduler on the same address: the worker registers with it and trains its round.
        let (second, _) = try startScheduler(common + ["--workers", "1", "--bind", endpoint, "--run-dir", directory.appendingPathComponent("b").path])
        defer { _ = second.stop() }
        _ = try second.waitForLine(containing: "final accuracy", timeout: 60)
        #expect(worker.waitForExit(timeout: 15) == 0, "the worker did not leave after the bye")

        // A worker whose scheduler does not come back gives up.
        let (third, other) = try startScheduler(common + ["--workers", "2", "--run-dir", directory.appendingPathComponent("c").path])
        let lonely = try ProcessHarness(["worker", "--connect", other, "--id", "w1", "--scheduler-timeout", "2", "--give-up", "4",
                                         "--trace-dir", directory.path], includingErrors: true)
        defer { _ = lonely.stop() }
        #expect(third.stop(signal: SIGKILL) != nil)
        #expect(lonely.waitForExit(timeout: 20) == 1)
        #expect(lonely.outputLines.contains { $0.contains("giving up") }, "\(lonely.outputLines)")
    }

    /// The Python package's client too: kill -9 of the scheduler mid-run, the scheduler started
    /// again with `--resume`, and the client (told "not registered") registers again and
    /// trains the rest of the run.
    @Test(.enabled(if: pythonImports("zmq, numpy, safetensors"), "needs python3 with pyzmq, numpy and safetensors (make test installs them)"))
    func aPythonClientRejoinsAResumedScheduler() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-restart-python-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try PythonClientTests.writeBlobs(in: directory)
        let run = directory.appendingPathComponent("run").path
        let common = ["--workers", "1", "--rounds", "20", "--data", data, "--model", PythonClientTests.linear, "--run-dir", run]
        let (first, endpoint) = try startScheduler(common)
        let client = try PythonClientTests.client("numpy_client.py", endpoint, id: "numpy-c", data: data)
        defer { _ = client.stop() }
        _ = try first.waitForLine(containing: "round 2:", timeout: 120)
        #expect(first.stop(signal: SIGKILL) != nil)
        let (second, _) = try startScheduler(common + ["--bind", endpoint, "--resume"])
        defer { _ = second.stop() }
        _ = try second.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(client.waitForExit(timeout: 30) == 0, "\(client.outputLines)")
        #expect(client.outputLines.contains { $0.contains("numpy-c: the scheduler does not know this client (it restarted?): registering again") },
                "\(client.outputLines)")
        #expect(client.outputLines.contains { $0.contains("numpy-c: round 20 trained") }, "\(client.outputLines)")
        let rounds = try PythonClientTests.rounds(in: URL(fileURLWithPath: run))
        #expect(rounds.compactMap { $0["round"] as? Int }.last == 20, "\(rounds)")
    }
}
