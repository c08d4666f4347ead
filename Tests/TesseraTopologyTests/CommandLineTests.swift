import Foundation
import Testing
import TesseraTestSupport

/// The command line as a new user meets it: typos, checks without running, bad values, a
/// worker pointed at nothing.
@Suite("The command line", .serialized)
struct CommandLineTests {
    /// Runs `tessera` with `arguments` to its end; returns its exit status and all its output.
    func run(_ arguments: [String], timeout: Double = 60) throws -> (status: Int32?, output: String) {
        let process = try ProcessHarness(arguments, includingErrors: true)
        let status = process.waitForExit(timeout: timeout)
        return (status, process.outputLines.joined(separator: "\n"))
    }

    @Test func aMistypedCommandIsNamedWithTheNearestOne() throws {
        let (status, output) = try run(["lanch", "smoke"])
        #expect(status == 2)
        #expect(output.contains("unknown command 'lanch' (did you mean 'launch'?)"), "\(output)")
    }

    /// A thread count that is not one is said, not silently replaced by the core count.
    @Test func aBadThreadCountInTheEnvironmentIsSaid() throws {
        let process = try ProcessHarness(program: "env", ["TESSERA_THREADS=abc", ProcessHarness.tesseraPath, "bench", "aggregate",
                                                          "--updates", "2", "--reps", "1"], includingErrors: true)
        let status = process.waitForExit(timeout: 60)
        let output = process.outputLines.joined(separator: "\n")
        #expect(status == 0)
        #expect(output.contains("warning: TESSERA_THREADS='abc' is not a whole number of threads (1 or more); ignored"), "\(output)")
    }

    @Test func versionIsPrinted() throws {
        let (status, output) = try run(["--version"])
        #expect(status == 0 && output.hasPrefix("tessera "))
    }

    @Test func checkPrintsTheResolvedConfigurationOrTheError() throws {
        let good = try run(["check", "smoke", "--rounds", "7"])
        #expect(good.status == 0)
        #expect(good.output.contains("training.rounds") && good.output.contains(" 7"), "\(good.output)")
        #expect(good.output.contains("data found: synthetic digits"))
        let bad = try run(["check", "smoke", "--set", "training.lr=-0.05"])
        #expect(bad.status == 1)
        #expect(bad.output.contains("training.lr: must be a number > 0, not '-0.05'"), "\(bad.output)")
    }

    /// What a launch would need is checked before anything runs: a split that cannot be made
    /// (check and launch), a thread count that would abort every worker, more local workers than
    /// the machine holds (launch, before any worker starts).
    @Test func impossibleRunsAreRefusedBeforeAnythingStarts() throws {
        let split = try run(["check", "smoke", "--workers", "1000000"])
        #expect(split.status == 1)
        #expect(split.output.contains("data.partition: the data cannot be split so: 12000 samples cannot give each of 1000000 clients one"), "\(split.output)")
        let threads = try run(["check", "smoke", "--threads", "1000000"])
        #expect(threads.status == 1 || threads.status == 2)
        #expect(threads.output.contains("workers.threads: must be a whole number in 0…256"), "\(threads.output)")
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-preflight-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let started = Date()
        let launch = try run(["launch", "smoke", "--workers", "6000", "--runs", runs.path])
        #expect(launch.status == 1)
        #expect(launch.output.contains("6000 local workers would need about") && launch.output.contains("available"), "\(launch.output)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(try processIDs(withCommandLineContaining: runs.path).isEmpty, "no worker was started")
    }

    @Test func topologiesFailsWhenAFileIsInvalid() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-topologies-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "name: fine\n".write(to: directory.appendingPathComponent("fine.yaml"), atomically: true, encoding: .utf8)
        #expect(try run(["topologies", directory.path]).status == 0)
        try "training:\n  rounds: 0\n".write(to: directory.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let (status, output) = try run(["topologies", directory.path])
        #expect(status == 1 && output.contains("INVALID"))
    }

    /// A setting the scheduler cannot use is refused before it listens, with the topology's message.
    @Test func theSchedulerChecksItsSettingsBeforeListening() throws {
        let (status, output) = try run(["scheduler", "--workers", "2", "--batch-size", "0", "--run-dir", "/tmp/unused-\(UUID())"])
        #expect(status == 1)
        #expect(output.contains("training.batch_size: must be a whole number ≥ 1, not '0'"), "\(output)")
        #expect(!output.contains("listening"))
        let unknown = try run(["scheduler", "--workers", "2", "--epochs", "3"])
        #expect(unknown.status == 1 && unknown.output.contains("--epochs: unknown option"), "\(unknown.output)")
    }

    /// A worker whose scheduler never answers says so within seconds.
    @Test func aWorkerWithNoSchedulerSaysSo() throws {
        let worker = try ProcessHarness(["worker", "--connect", "tcp://127.0.0.1:1", "--id", "lonely", "--no-trace"], includingErrors: true)
        let line = try worker.waitForLine(containing: "no reply from", timeout: 15)
        #expect(line.contains("tcp://127.0.0.1:1") && line.contains("retrying"))
        #expect(worker.stop() == 0)
        let bad = try run(["worker", "--connect", "localhost:5555", "--no-trace"])
        #expect(bad.status == 1 && bad.output.contains("is not an endpoint like tcp://HOST:PORT"), "\(bad.output)")
    }

    /// A run started with `tessera scheduler` is recorded as a launch's is: a fresh run directory
    /// under runs/scheduler with its settings, status (finished, or failed with why), the data
    /// it used and a report, listed by `tessera runs`.
    @Test func aSchedulerStartedByHandIsRecorded() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-hand-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func tessera(_ arguments: String) throws -> ProcessHarness {
            try ProcessHarness(program: "sh", ["-c", "cd '\(folder.path)' && exec '\(ProcessHarness.tesseraPath)' \(arguments)"], includingErrors: true)
        }
        let scheduler = try tessera("scheduler --workers 1 --rounds 1 --model logreg --data synthetic --bind tcp://127.0.0.1:0")
        let endpoint = String(try scheduler.waitForLine(containing: "listening on").split(separator: " ").last ?? "")
        let worker = try ProcessHarness(["worker", "--connect", endpoint, "--id", "w1", "--no-trace"])
        #expect(scheduler.waitForExit(timeout: 60) == 0, "\(scheduler.outputLines)")
        _ = worker.stop(timeout: 10)
        let run = folder.appendingPathComponent("runs/scheduler/latest").resolvingSymlinksInPath()
        for name in ["topology.yaml", "status.json", "report.html", "metrics.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)")
        }
        let environment = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("environment.json"))) as? [String: Any]
        #expect(environment?["data"] as? String == "synthetic digits")
        // A type that is not there is named with those that are.
        let types = try tessera("trace messages runs/scheduler/latest --type updat")
        #expect(types.waitForExit(timeout: 30) == 2)
        #expect(types.outputLines.joined().contains("(did you mean 'update'?); there are: bye, done, register, train task, update, welcome"),
                "\(types.outputLines)")
        // Outside a checkout, topologies says there is no Topologies here instead of an NSError.
        let topologies = try tessera("topologies")
        #expect(topologies.waitForExit(timeout: 30) == 1)
        #expect(topologies.outputLines.joined().contains("no directory 'Topologies' here"), "\(topologies.outputLines)")
        let failing = try tessera("scheduler --workers 2 --model logreg --data synthetic --registration-timeout 1 --bind tcp://127.0.0.1:0")
        #expect(failing.waitForExit(timeout: 30) == 1)
        let runs = try tessera("runs")
        #expect(runs.waitForExit(timeout: 30) == 0)
        let rows = runs.outputLines.filter { $0.hasPrefix("scheduler/") }
        #expect(rows.count == 2 && rows[0].hasSuffix("finished")
                && rows[1].contains("failed: only 0 of 2 workers registered"), "\(runs.outputLines)")
    }

    /// `tessera compare` takes settings for every topology, checked as launch checks them.
    @Test func compareTakesSettings() throws {
        let (status, output) = try run(["compare", "smoke", "smoke", "--set", "training.rouns=1"])
        #expect(status == 1 && output.contains("training.rouns: unknown key (did you mean 'training.rounds'?)"), "\(output)")
    }

    /// Traces written elsewhere are brought into a run's traces; a source that is not there is
    /// named.
    @Test func tracesAreCollectedIntoARun() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-collect-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (runDirectory, elsewhere) = (folder.appendingPathComponent("run"), folder.appendingPathComponent("elsewhere"))
        try FileManager.default.createDirectory(at: runDirectory.appendingPathComponent("traces"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try Data().write(to: runDirectory.appendingPathComponent("metrics.jsonl"))
        try Data("{}\n".utf8).write(to: elsewhere.appendingPathComponent("worker-007.trace.jsonl"))
        try Data("not a trace".utf8).write(to: elsewhere.appendingPathComponent("notes.txt"))
        let collected = try run(["trace", "collect", runDirectory.path, "--from", elsewhere.path])
        #expect(collected.status == 0 && collected.output.contains("worker-007.trace.jsonl"), "\(collected.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: runDirectory.appendingPathComponent("traces").path) == ["worker-007.trace.jsonl"])
        let missing = try run(["trace", "collect", runDirectory.path, "--from", folder.appendingPathComponent("nowhere").path])
        #expect(missing.status == 1 && missing.output.contains("nowhere: no such directory"), "\(missing.output)")
    }

    /// A tutorial pointed at a worker that is not there says so after 5 s and fails.
    @Test func anExampleWithNoWorkerSaysSo() throws {
        let started = Date()
        let (status, output) = try run(["example", "part1", "--workers", "tcp://127.0.0.1:1"], timeout: 30)
        #expect(status == 1 && output.contains("no reply from tcp://127.0.0.1:1 after 5 s: is a worker running there?"), "\(output)")
        #expect(Date().timeIntervalSince(started) < 15)
    }

    /// Listening beyond this machine without keys is refused with what to do, unless asked for.
    @Test func listeningBeyondThisMachineNeedsKeysOrInsecure() throws {
        let (status, output) = try run(["scheduler", "--workers", "1", "--bind", "tcp://0.0.0.0:0", "--run-dir", "/tmp/unused-\(UUID())"])
        #expect(status == 1 && output.contains("tessera keys generate") && output.contains("--insecure"), "\(output)")
        let worker = try run(["worker", "--bind", "tcp://*:0", "--no-trace"])
        #expect(worker.status == 2 || worker.status == 1)
        #expect(worker.output.contains("--insecure"), "\(worker.output)")
        let allowed = try ProcessHarness(["worker", "--bind", "tcp://*:0", "--insecure", "--no-trace"])
        _ = try allowed.waitForLine(containing: "serving on")
        #expect(allowed.stop() == 0)
    }
}
