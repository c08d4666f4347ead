import Foundation
import Testing
import TesseraScheduler
import TesseraTestSupport
import TesseraTopology
import TesseraTransport

@Suite("tessera launch", .serialized)
struct LaunchTests {
    @Test func smokeTopologyRunsToTheEndAndLeavesARunDirectory() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-launch-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        let source = try String(contentsOfFile: "Topologies/smoke.yaml", encoding: .utf8)
        let file = runs.appendingPathComponent("smoke.yaml")
        try (source + "runs: \(runs.path)\n").write(to: file, atomically: true, encoding: .utf8)

        let launch = try ProcessHarness(["launch", file.path])
        let done = try launch.waitForLine(containing: "done:", timeout: 120)
        #expect(done.contains("total wall time"))
        let run = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        for name in ["metrics.jsonl", "metrics.csv", "checkpoint.safetensors", "traces/scheduler.trace.jsonl", "traces/worker-000.trace.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)")
        }
        #expect(launch.stop(timeout: 20) == 0)
        // No worker outlives the launch.
        #expect(try !processesRunning(withCommandLineContaining: run.appendingPathComponent("traces").path), "worker processes are still running")
    }

    /// As README has it: `tessera` found on PATH, run from a folder that holds only the topology.
    /// The launch starts its workers from its own executable (not `./tessera`), and a Slurm
    /// script names that executable too.
    @Test func theBinaryOnPathLaunchesFromAnyFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-path-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("tessera").path,
                                                   withDestinationPath: ProcessHarness.tesseraPath)
        try String(contentsOfFile: "Topologies/smoke.yaml", encoding: .utf8)
            .write(to: folder.appendingPathComponent("smoke.yaml"), atomically: true, encoding: .utf8)
        func tessera(_ arguments: String) throws -> ProcessHarness {
            try ProcessHarness(program: "sh", ["-c", "cd '\(folder.path)' && PATH='\(bin.path)':/usr/bin:/bin exec tessera \(arguments)"],
                               includingErrors: true)
        }
        let launch = try tessera("launch smoke.yaml --rounds 1 --set runs=runs")
        let done = try launch.waitForLine(containing: "done:", timeout: 120)
        #expect(done.contains("total wall time"), "\(launch.outputLines)")
        #expect(launch.stop(timeout: 20) == 0)
        let emit = try tessera("launch smoke.yaml --emit slurm --set runs=runs")
        #expect(emit.waitForExit(timeout: 30) == 0, "\(emit.outputLines)")
        let real = URL(fileURLWithPath: ProcessHarness.tesseraPath).resolvingSymlinksInPath().path
        #expect(emit.outputLines.contains { $0.hasPrefix("tessera=") && $0.contains(real) }, "\(emit.outputLines)")
    }

    /// The binary run from another folder finds the built-in topologies by name (those of the
    /// checkout it was built in), and a name nowhere is still a clear error.
    @Test func theBuiltInTopologiesAreFoundFromAnyFolder() throws {
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-elsewhere-\(UUID())")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let check = try ProcessHarness(program: "sh", ["-c", "cd '\(elsewhere.path)' && exec '\(ProcessHarness.tesseraPath)' check smoke"],
                                       includingErrors: true)
        #expect(check.waitForExit(timeout: 60) == 0, "\(check.outputLines)")
        let unknown = try ProcessHarness(program: "sh", ["-c", "cd '\(elsewhere.path)' && exec '\(ProcessHarness.tesseraPath)' check smok"],
                                         includingErrors: true)
        #expect(unknown.waitForExit(timeout: 60) != 0)
        #expect(unknown.outputLines.contains { $0.contains("did you mean") || $0.contains("smoke") }, "\(unknown.outputLines)")
    }

    /// A secure run with keys: each worker signs its round keys and checks the others' against
    /// the directory's `NAME.sign`. With the directory as made, the sum is made; with one
    /// worker's `.sign` not its own (as a scheduler substituting that worker's keys would look),
    /// the others refuse to share their secrets and every log says why.
    @Test func aSecureRunWithKeysSignsItsRosterAndRefusesOneThatIsNot() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-signed-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let keys = KeyDirectory(runs.appendingPathComponent("keys"))
        for name in ["scheduler", "worker-000", "worker-001", "worker-002"] { try keys.generate(name) }
        let settings = ["--workers", "3", "--rounds", "1", "--model", "logreg", "--secure-aggregation", "--keys", keys.url.path,
                        "--set", "runs=\(runs.path)"]
        let signed = try ProcessHarness(["launch", "smoke"] + settings)
        let round = try signed.waitForLine(containing: "round 1:", timeout: 120)
        #expect(round.contains("secure sum of 3"), "\(round)")
        #expect(signed.stop(timeout: 30) == 0)

        try FileManager.default.removeItem(at: keys.url.appendingPathComponent("worker-001.sign"))
        try FileManager.default.copyItem(at: keys.url.appendingPathComponent("worker-002.sign"), to: keys.url.appendingPathComponent("worker-001.sign"))
        let altered = try ProcessHarness(["launch", "smoke"] + settings, includingErrors: true)
        let refused = try altered.waitForLine(containing: "left the secure round", timeout: 120)
        #expect(refused.contains("worker-001's keys are not signed by worker-001"), "\(refused)")
        let failed = try altered.waitForLine(containing: "round 1: accuracy", timeout: 120)
        #expect(failed.contains("no secure sum"), "\(failed)")
        _ = altered.stop(timeout: 30)
    }

    /// A private run killed after it released a round's model but before that round's
    /// checkpoint (here: its privacy record says 3 rounds were spent, its checkpoint 2) resumes
    /// counting the release: round 3, run again, is its fourth charge.
    @Test func aResumedPrivateRunCountsWhatItReleasedBeforeItsCheckpoint() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-dp-resume-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let settings = ["--workers", "2", "--model", "logreg", "--fraction", "1", "--set", "privacy.clip=1",
                        "--set", "privacy.noise_multiplier=1", "--set", "runs=\(runs.path)"]
        let first = try ProcessHarness(["launch", "smoke", "--rounds", "2"] + settings)
        _ = try first.waitForLine(containing: "done:", timeout: 120)
        #expect(first.stop(timeout: 20) == 0)
        let run = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        var spent = RunSettings()
        (spent.clip, spent.noiseMultiplier, spent.fraction) = (1, 1, 1)
        var budget = PrivacyBudget(settings: spent)
        for _ in 0..<3 { budget.charge(spent) }
        // A record that cannot be read stops the resume: what was spent is unknown.
        try Data("{not json".utf8).write(to: run.appendingPathComponent("privacy.json"))
        let refused = try ProcessHarness(["launch", "--resume", run.path, "--rounds", "3"], includingErrors: true)
        #expect(refused.waitForExit(timeout: 60) == 1)
        #expect(refused.outputLines.contains { $0.contains("the privacy record cannot be read") }, "\(refused.outputLines)")
        try JSONSerialization.data(withJSONObject: budget.metadata).write(to: run.appendingPathComponent("privacy.json"))
        let resumed = try ProcessHarness(["launch", "--resume", run.path, "--rounds", "3"])
        let line = try resumed.waitForLine(containing: "round 3:", timeout: 120)
        budget.charge(spent)
        #expect(line.contains(String(format: "ε %.2f", budget.epsilon(delta: spent.delta))), "\(line)")
        #expect(resumed.stop(timeout: 20) == 0)
    }

    @Test func aBadTopologyFailsBeforeStartingAnything() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "workers:\n  count: 2\n  colour: red\n".write(to: file, atomically: true, encoding: .utf8)
        let launch = try ProcessHarness(["launch", file.path])
        #expect(launch.waitForExit(timeout: 20) == 1)
    }

    /// A malformed device file is read before anything starts: one line names the file, the
    /// line and what is wrong, and no run directory is left behind.
    @Test func aBadDeviceFileFailsBeforeARunDirectoryIsMade() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-devices-\(UUID())")
        let devices = runs.appendingPathExtension("csv")
        defer { try? FileManager.default.removeItem(at: runs); try? FileManager.default.removeItem(at: devices) }
        try "speed,latency\n1,0.1\n".write(to: devices, atomically: true, encoding: .utf8)
        let launch = try ProcessHarness(["launch", "smoke", "--set", "runs=\(runs.path)", "--set", "simulation.clock=virtual",
                                         "--set", "simulation.devices=\(devices.path)"], includingErrors: true)
        let line = try launch.waitForLine(containing: "simulation.devices", timeout: 30)
        #expect(line.contains("'\(devices.path)', line 1: has no 'flops' column") && !line.contains(", not '"), "\(line)")
        #expect(launch.waitForExit(timeout: 20) == 1)
        #expect(!FileManager.default.fileExists(atPath: runs.appendingPathComponent("smoke").path))
    }

    /// `workers.launch: in-process`: the same topology run with its workers as threads of the
    /// launch, over the in-process channel, ends with the same model bit for bit as with worker
    /// processes over TCP, and traces the same processes; settings it cannot honour are refused
    /// before anything starts.
    @Test func anInProcessLaunchEndsWhereWorkerProcessesDo() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-inprocess-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let common = ["launch", "smoke", "--rounds", "3", "--set", "workers.count=40", "--set", "workers.clients_per_process=10",
                      "--set", "training.fraction=0.25", "--set", "model=logreg", "--set", "data.partition=dirichlet"]
        var checkpoints: [Data] = []
        var accuracies: [[String]] = []
        for (name, launch) in [("processes", "local"), ("threads", "in-process")] {
            let run = try ProcessHarness(common + ["--set", "workers.launch=\(launch)", "--set", "runs=\(runs.path)/\(name)"])
            _ = try run.waitForLine(containing: "done:", timeout: 120)
            #expect(run.stop(timeout: 20) == 0)
            let directory = runs.appendingPathComponent("\(name)/smoke/latest").resolvingSymlinksInPath()
            checkpoints.append(try Data(contentsOf: directory.appendingPathComponent("checkpoint.safetensors")))
            accuracies.append(run.outputLines.filter { $0.hasPrefix("round ") }.map { String($0.prefix { $0 != "," }) })
            for trace in ["scheduler", "worker-000", "worker-003"] {
                #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("traces/\(trace).trace.jsonl").path), "\(launch): \(trace)")
            }
        }
        #expect(accuracies.count == 2 && accuracies[0].count == 3 && accuracies[0] == accuracies[1], "\(accuracies)")
        #expect(checkpoints.count == 2 && checkpoints[0] == checkpoints[1])
        for (setting, says) in [("simulation.groups=0: slowdown=2", "simulation.groups"), ("security.keys=auto", "security.keys")] {
            let refused = try ProcessHarness(["launch", "smoke", "--set", "workers.launch=in-process", "--set", setting,
                                              "--set", "runs=\(runs.path)/refused"], includingErrors: true)
            #expect(refused.waitForExit(timeout: 20) != 0)
            #expect(refused.outputLines.contains { $0.contains(says) && $0.contains("in-process") }, "\(refused.outputLines)")
        }
        #expect(!FileManager.default.fileExists(atPath: runs.appendingPathComponent("refused/smoke").path))
    }

    /// `security.keys: auto`: the launch makes keys for the scheduler and each worker and runs
    /// over CURVE to the end.
    @Test func aSecuredLaunchMakesKeysAndRuns() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-secure-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let launch = try ProcessHarness(["launch", "smoke", "--rounds", "1", "--set", "security.keys=auto", "--set", "runs=\(runs.path)"])
        let done = try launch.waitForLine(containing: "done:", timeout: 120)
        #expect(done.contains("total wall time"))
        let keys = runs.appendingPathComponent("smoke/latest/keys")
        for name in ["scheduler", "worker-000", "worker-001", "worker-002"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: keys.appendingPathComponent("\(name).key").path)
            #expect(attributes[.posixPermissions] as? Int == 0o600, "\(name)")
        }
        #expect(launch.stop(timeout: 20) == 0)
    }

    /// kill -9 of a worker mid-run: with `workers.restart: never` the run goes on with the rest
    /// and finishes; with `on-failure` the worker is started again, rejoins and is used again.
    /// The launcher sees the process exit and the scheduler gives up its task at once: no round
    /// waits out the (here a minute's) heartbeat timeout.
    @Test("a killed worker does not end the run", arguments: [("never", "sync"), ("on-failure", "sync"), ("never", "fedbuff")])
    func aKilledWorkerDoesNotEndTheRun(restart: String, mode: String) throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-kill-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        // 0.3 s of latency each way makes each round take a second or so.
        let launch = try ProcessHarness(["launch", "smoke", "--rounds", "8", "--set", "runs=\(runs.path)", "--restart", restart,
                                         "--heartbeat-timeout", "60", "--simulate", "0-2: latency=0.3", "--mode", mode,
                                         "--buffer-size", "2", "--max-concurrent-trainers", "3"])
        defer { _ = launch.stop() }
        _ = try launch.waitForLine(containing: mode == "sync" ? "round 1:" : "step 1:", timeout: 120)
        let traces = runs.appendingPathComponent("smoke/latest/traces").resolvingSymlinksInPath().path
        let victim = try #require(try processIDs(withCommandLineContaining: "--id worker-001 --trace-dir \(traces)").first)
        kill(victim, SIGKILL)
        let event = try launch.waitForLine(containing: "worker-001 was killed by signal 9 during the run", timeout: 30)
        #expect(event.contains(restart == "never" ? "the run goes on without it" : "restarting it (1 of 3"), "\(event)")
        _ = try launch.waitForLine(containing: "done:", timeout: 120)
        #expect(launch.stop(timeout: 20) == 0)
        let rounds = try String(contentsOf: runs.appendingPathComponent("smoke/latest/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rounds.count == 8)
        let seconds = try rounds.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["seconds"] as? Double ?? 0 }
        #expect(seconds.allSatisfy { $0 < 30 }, "a round waited for the killed worker: \(seconds)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data((rounds.last ?? "").utf8)) as? [String: Any])
        let contributors = last["contributors"] as? [String] ?? []
        #expect(contributors.contains("worker-001") == (restart == "on-failure"), "\(contributors)")
        #expect(FileManager.default.fileExists(atPath: runs.appendingPathComponent("smoke/latest/logs/worker-001.log").path))
        #expect(try !processesRunning(withCommandLineContaining: traces), "worker processes are still running")
    }

    /// kill -9 of the launch (the scheduler with it) mid-run: its workers leave with it, and
    /// `tessera launch --resume RUN` continues from the last checkpoint to weights bit-identical
    /// to those of the run that was never killed; a later launch never deletes an earlier run.
    @Test func aKilledLaunchResumesToTheSameWeights() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-resume-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        // Rounds of about a second (0.3 s of latency each way), half the workers sampled.
        let settings = ["--rounds", "5", "--fraction", "0.5", "--set", "runs=\(runs.path)", "--simulate", "0-2: latency=0.3"]
        let whole = try ProcessHarness(["launch", "smoke"] + settings)
        _ = try whole.waitForLine(containing: "done:", timeout: 120)
        #expect(whole.stop(timeout: 20) == 0)
        let wholeRun = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()

        let killed = try ProcessHarness(["launch", "smoke"] + settings)
        _ = try killed.waitForLine(containing: "round 2:", timeout: 120)
        let killedRun = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        #expect(killedRun != wholeRun)
        // While it runs, resuming it is refused (two launches would write the same files).
        let meddler = try ProcessHarness(["launch", "--resume", killedRun.path], includingErrors: true)
        #expect(meddler.waitForExit(timeout: 30) == 1)
        #expect(meddler.outputLines.contains { $0.contains("is still running") }, "\(meddler.outputLines)")
        #expect(killed.stop(signal: SIGKILL) != nil)
        // Its workers notice their parent is gone and leave.
        let deadline = Date().addingTimeInterval(10)
        while try processesRunning(withCommandLineContaining: killedRun.appendingPathComponent("traces").path) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(try !processesRunning(withCommandLineContaining: killedRun.appendingPathComponent("traces").path), "orphaned workers")
        #expect(RunDirectory(killedRun).status?.state == "interrupted")

        let resumed = try ProcessHarness(["launch", "--resume", killedRun.path])
        _ = try resumed.waitForLine(containing: "done:", timeout: 120)
        #expect(resumed.stop(timeout: 20) == 0)
        let expected = try Data(contentsOf: wholeRun.appendingPathComponent("checkpoint.safetensors"))
        #expect(try Data(contentsOf: killedRun.appendingPathComponent("checkpoint.safetensors")) == expected,
                "the resumed run's final weights differ from the uninterrupted run's")
        let rounds = try String(contentsOf: killedRun.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rounds.count == 5, "no round lost or recorded twice: \(rounds.count)")
        #expect(RunDirectory(killedRun).status?.state == "finished")
        #expect(FileManager.default.fileExists(atPath: wholeRun.appendingPathComponent("metrics.jsonl").path), "an earlier run was deleted")
    }
}
