import Foundation
import TesseraTestSupport
import Testing

/// Whole runs with real processes: a scheduler and workers connecting to it over loopback.
@Suite("Federated runs", .serialized)
struct FederatedRunTests {
    struct Run {
        let scheduler: ProcessHarness
        let workers: [ProcessHarness]
        let directory: URL

        /// Stops the processes, then removes the run's directory (stopped first, so that none
        /// writes its last files into it after it is gone).
        func close() {
            for process in [scheduler] + workers { _ = process.stop(signal: SIGKILL) }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Starts a scheduler on a free port and `workers` workers (the last `slow` of them slow).
    static func start(workers: Int, rounds: Int, extra: [String] = [], slow: Int = 0, slowSeconds: Double = 0,
                      directory existing: URL? = nil) throws -> Run {
        let directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("tessera-run-\(UUID())")
        let scheduler = try ProcessHarness(["scheduler", "--bind", "tcp://127.0.0.1:0", "--workers", String(workers),
                                            "--rounds", String(rounds), "--model", "mnist-2nn", "--data", "synthetic",
                                            "--run-dir", directory.path] + extra)
        let line = try scheduler.waitForLine(containing: "listening on")
        let endpoint = String(line.split(separator: " ").last ?? "")
        var processes: [ProcessHarness] = []
        for index in 0..<workers {
            let delay = index >= workers - slow ? ["--slow", String(slowSeconds)] : []
            processes.append(try ProcessHarness(["worker", "--connect", endpoint, "--id", "w\(index)", "--data", "synthetic",
                                                 "--trace-dir", directory.appendingPathComponent("traces").path] + delay))
        }
        return Run(scheduler: scheduler, workers: processes, directory: directory)
    }

    func rounds(in directory: URL) throws -> [[String: Any]] {
        try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func threeWorkersLearnTheSyntheticDigits() throws {
        let run = try Self.start(workers: 3, rounds: 3)
        defer { run.close() }
        _ = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        let metrics = try rounds(in: run.directory)
        #expect(metrics.count == 3)
        let accuracy = try #require(metrics.last?["accuracy"] as? Double)
        #expect(accuracy >= 0.9, "final accuracy \(accuracy)")
        #expect(metrics.allSatisfy { $0["received"] as? Int == 3 })
        // Each round says how long its close took to sum the three updates.
        #expect(metrics.allSatisfy { ($0["aggregationSeconds"] as? Double).map { $0 >= 0 && $0 < 5 } == true }, "\(metrics)")
        #expect(FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("checkpoint.safetensors").path))
        // The workers leave when the scheduler says bye.
        for worker in run.workers { #expect(worker.stop(timeout: 10) == 0) }
    }

    @Test func aSlowWorkerMissesTheDeadlineAndTheQuorumCarriesTheRound() throws {
        let run = try Self.start(workers: 3, rounds: 2, extra: ["--deadline", "3", "--quorum", "2"], slow: 1, slowSeconds: 8)
        defer { run.close() }
        _ = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        let metrics = try rounds(in: run.directory)
        #expect(metrics.count == 2)
        #expect(metrics.allSatisfy { $0["received"] as? Int == 2 && $0["late"] as? Int == 1 && $0["aggregated"] as? Bool == true })
    }

    /// With data held out, every round's model is also evaluated by the workers on their
    /// held-out parts, and the metrics and the terminal line say how it did.
    @Test func workersEvaluateEachRoundOnTheirHeldOutData() throws {
        let run = try Self.start(workers: 3, rounds: 2, extra: ["--held-out", "0.1"])
        defer { run.close() }
        let roundLine = try run.scheduler.waitForLine(containing: "round 2:", timeout: 120)
        #expect(roundLine.contains("federated") && roundLine.contains("on 3 workers"), "\(roundLine)")
        _ = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 60)
        let metrics = try rounds(in: run.directory)
        #expect(metrics.count == 2)
        for round in metrics {
            let federated = try #require(round["federated"] as? [String: Any], "round \(round["round"] ?? "?")")
            #expect(federated["workers"] as? Int == 3)
            let samples = try #require(federated["samples"] as? Int)
            #expect(samples > 0)
            let accuracy = try #require(federated["accuracy"] as? Double)
            let lowest = try #require(federated["minimumAccuracy"] as? Double)
            let highest = try #require(federated["maximumAccuracy"] as? Double)
            #expect(lowest <= accuracy && accuracy <= highest)
        }
        // Held-out data is seen by evaluation only, so the last round's figure is an honest one.
        let last = try #require(metrics.last?["federated"] as? [String: Any])
        #expect(try #require(last["accuracy"] as? Double) > 0.8)
        let csv = try String(contentsOf: run.directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").first?.contains("federated_accuracy") == true)
        for worker in run.workers { #expect(worker.stop(timeout: 10) == 0) }
    }

    @Test("server strategies and FedProx run end to end", arguments: ["fedavgm", "fedprox", "fedadam", "fedyogi"])
    func strategiesRun(strategy: String) throws {
        let run = try Self.start(workers: 2, rounds: 2, extra: ["--strategy", strategy])
        defer { run.close() }
        _ = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        let metrics = try rounds(in: run.directory)
        #expect(metrics.count == 2 && metrics.allSatisfy { $0["aggregated"] as? Bool == true })
        let accuracy = try #require(metrics.last?["accuracy"] as? Double)
        #expect(accuracy > 0.5, "\(strategy): \(accuracy)")
    }

    /// FedAsync and FedBuff with real processes, one worker slow: the model learns, every
    /// server step is reported with its staleness, and the slow worker does not hold the others up.
    @Test("asynchronous modes run end to end", arguments: ["fedasync", "fedbuff"])
    func asynchronousModesRun(mode: String) throws {
        let run = try Self.start(workers: 3, rounds: 6, extra: ["--mode", mode, "--buffer-size", "2", "--max-concurrent-trainers", "3"],
                                 slow: 1, slowSeconds: 2)
        defer { run.close() }
        let started = Date()
        let line = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(line.contains("after 6 server steps"), "\(line)")
        let metrics = try rounds(in: run.directory)
        #expect(metrics.map { $0["round"] as? Int } == [1, 2, 3, 4, 5, 6])
        #expect(metrics.allSatisfy { ($0["staleness"] as? [String: Any])?["steps"] as? Int == 1 && $0["aggregationSeconds"] == nil })
        let accuracy = try #require(metrics.last?["accuracy"] as? Double)
        #expect(accuracy > 0.8, "\(mode): \(accuracy)")
        // Six steps need 6 (fedasync) or 12 (fedbuff) updates; the two fast workers give them
        // well before the slow one's first 2-second task could be waited for each time.
        let contributors = Set(metrics.flatMap { $0["contributors"] as? [String] ?? [] })
        #expect(contributors.isSuperset(of: ["w0", "w1"]), "\(contributors)")
        #expect(Date().timeIntervalSince(started) < 30)
        for worker in run.workers { #expect(worker.stop(timeout: 10) == 0) }
    }

    /// A simulated device that leaves after a task (its update lost) falls silent, is taken for
    /// lost, comes back, registers again and is used again; the run goes on meanwhile.
    @Test func aDeviceThatComesAndGoesIsUsedAgainWhenBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-away-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "3", "--rounds", "100000", "--max-seconds", "8", "--model", "mnist-2nn", "--data", "synthetic",
                                                        "--mode", "fedasync", "--heartbeat-timeout", "3", "--run-dir", directory.path,
                                                        "--evaluate-every", "100", "--max-concurrent-trainers", "3"],
                                                       includingErrors: true)  // why it ended, if it ends early
        let traces = directory.appendingPathComponent("traces").path
        var workers = try (0..<2).map { try ProcessHarness(["worker", "--connect", endpoint, "--id", "w\($0)", "--trace-dir", traces]) }
        // w2 leaves after each task with probability 0.5, for 1 s each time; the run lasts 8 s.
        workers.append(try ProcessHarness(["worker", "--connect", endpoint, "--id", "w2", "--trace-dir", traces,
                                           "--leave", "0.5", "--away", "1"]))
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        for worker in workers { #expect(worker.stop(timeout: 10) == 0) }
        let trace = try String(contentsOfFile: "\(traces)/w2.trace.jsonl", encoding: .utf8)
        let left = try #require(trace.range(of: "simulated leave"), "w2 never left")
        let back = try #require(trace[left.upperBound...].range(of: "\"m\":\"register\""), "w2 did not register again after leaving")
        #expect(trace[back.upperBound...].split(separator: "\n").contains { $0.contains("\"d\":\"s\"") && $0.contains("\"m\":\"update\"") },
                "w2 was not used again once back")
    }

    /// A device away by schedule (seconds 1 to 5 of its life) falls silent, is taken for lost,
    /// and registers again when the window ends; the run goes on meanwhile.
    @Test func aDeviceAwayByScheduleRejoinsAfterItsWindow() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-offline-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "2", "--rounds", "100000", "--max-seconds", "8", "--model", "logreg",
                                                        "--data", "synthetic", "--mode", "fedasync", "--heartbeat-timeout", "3",
                                                        "--run-dir", directory.path, "--evaluate-every", "100"])
        let traces = directory.appendingPathComponent("traces").path
        let steady = try ProcessHarness(["worker", "--connect", endpoint, "--id", "steady", "--trace-dir", traces])
        let away = try ProcessHarness(["worker", "--connect", endpoint, "--id", "away", "--trace-dir", traces, "--offline", "1-5"])
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        for worker in [steady, away] { #expect(worker.stop(timeout: 10) == 0) }
        let trace = try String(contentsOfFile: "\(traces)/away.trace.jsonl", encoding: .utf8)
        let left = try #require(trace.range(of: "offline until 5.0 s by schedule"), "the device never went away")
        #expect(trace[left.upperBound...].contains("\"m\":\"register\""), "it did not register again when back")
        let scheduled = try String(contentsOfFile: "\(traces)/scheduler.trace.jsonl", encoding: .utf8)
        // Lost in training, or (on a busy machine, still loading its data at 1 s) given up while joining.
        #expect((scheduled.contains("silent worker") || scheduled.contains("join given up")) && scheduled.contains("away"),
                "the scheduler never took it for lost")
    }

    /// An asynchronous run resumes from its last server step's checkpoint and goes on to the
    /// steps asked for, each recorded once.
    @Test func anAsynchronousRunResumesFromItsLastStep() throws {
        let first = try Self.start(workers: 2, rounds: 3, extra: ["--mode", "fedbuff", "--buffer-size", "2"])
        defer { try? FileManager.default.removeItem(at: first.directory) }
        _ = try first.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        for worker in first.workers { _ = worker.stop(timeout: 10) }
        let resumed = try Self.start(workers: 2, rounds: 6, extra: ["--mode", "fedbuff", "--buffer-size", "2", "--resume"],
                                     directory: first.directory)
        let line = try resumed.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(line.contains("after 6 server steps"), "\(line)")
        #expect(try rounds(in: first.directory).compactMap { $0["round"] as? Int } == [1, 2, 3, 4, 5, 6])
        // Resumed in another mode, it is refused with the reason.
        let other = try ProcessHarness(["scheduler", "--bind", "tcp://127.0.0.1:0", "--workers", "2", "--rounds", "8", "--model", "mnist-2nn",
                                        "--data", "synthetic", "--resume", "--run-dir", first.directory.path], includingErrors: true)
        #expect(other.waitForExit(timeout: 60) == 1)
        #expect(other.outputLines.contains { $0.contains("written by a fedbuff run") }, "\(other.outputLines)")
    }

    /// A run stopped before its first round completed has no checkpoint: resuming it starts it
    /// over (chaos runs found a resume refused there).
    @Test func resumingARunWithoutACheckpointStartsItOver() throws {
        let run = try Self.start(workers: 2, rounds: 1, extra: ["--resume"])
        defer { run.close() }
        let line = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(line.contains("after 1 rounds"), "\(line)")
        #expect(try rounds(in: run.directory).count == 1)
    }

    /// Stopping after round 1 and resuming gives exactly the run that never stopped, for a
    /// stateless strategy and for one with server state.
    @Test("resume continues exactly", arguments: ["fedavg", "fedavgm"])
    func resumeContinuesExactly(strategy: String) throws {
        func accuracies(_ directory: URL) throws -> [Double] { try rounds(in: directory).compactMap { $0["accuracy"] as? Double } }
        let whole = try Self.start(workers: 2, rounds: 3, extra: ["--strategy", strategy])
        defer { try? FileManager.default.removeItem(at: whole.directory) }
        _ = try whole.scheduler.waitForLine(containing: "final accuracy", timeout: 120)

        let first = try Self.start(workers: 2, rounds: 1, extra: ["--strategy", strategy])
        defer { try? FileManager.default.removeItem(at: first.directory) }
        _ = try first.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        for worker in first.workers { _ = worker.stop(timeout: 10) }
        let resumed = try Self.start(workers: 2, rounds: 3, extra: ["--strategy", strategy, "--resume"], directory: first.directory)
        _ = try resumed.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(try accuracies(first.directory) == accuracies(whole.directory))
        #expect(try rounds(in: first.directory).compactMap { $0["round"] as? Int } == [1, 2, 3])
    }

    /// A worker killed mid-run is lost (no heartbeats) and left out of later rounds; started
    /// again under the same name, it re-registers, is welcomed again, and is used again.
    @Test func aLostWorkerIsDroppedAndRejoins() throws {
        let run = try Self.start(workers: 3, rounds: 30, extra: ["--deadline", "4", "--heartbeat-timeout", "3"],
                                 slow: 3, slowSeconds: 0.5)
        defer { run.close() }
        func sampledCounts() -> [Int] {
            ((try? rounds(in: run.directory)) ?? []).compactMap { $0["sampled"] as? Int }
        }
        func waitFor(_ description: String, _ condition: ([Int]) -> Bool) throws {
            let deadline = Date().addingTimeInterval(90)
            while !condition(sampledCounts()) {
                guard Date() < deadline else { throw HarnessError(description: "\(description); rounds so far: \(sampledCounts())") }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        try waitFor("round 1 never finished") { $0.count >= 1 }
        #expect(run.workers[2].stop(signal: SIGKILL) != nil)
        try waitFor("the killed worker was never left out") { $0.contains(2) }
        let restarted = try ProcessHarness(["worker", "--connect", try schedulerEndpoint(run), "--id", "w2", "--slow", "0.5",
                                            "--trace-dir", run.directory.appendingPathComponent("traces").path])
        try waitFor("the restarted worker was never used again") { counts in
            guard let firstTwo = counts.firstIndex(of: 2) else { return false }
            return counts[firstTwo...].contains(3)
        }
        _ = restarted.stop(timeout: 10)
        _ = run.scheduler.stop(timeout: 10)
    }

    /// Workers heartbeat while they train, so a worker that dies mid-task is given up after the
    /// heartbeat timeout, not the round's deadline: with a 300 s deadline, the round ends within
    /// seconds of the kill, aggregated from the other two.
    @Test func aWorkerThatDiesMidTaskIsGivenUpAfterItsHeartbeatTimeout() throws {
        let run = try Self.start(workers: 3, rounds: 1, extra: ["--deadline", "300", "--heartbeat-timeout", "3"],
                                 slow: 1, slowSeconds: 60)
        defer { run.close() }
        // Killed while inside its train task (it prints the task's start; it then takes 60 s).
        _ = try run.workers[2].waitForLine(containing: "round 1 train task", timeout: 60)
        let killed = Date()
        #expect(run.workers[2].stop(signal: SIGKILL) != nil)
        _ = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 60)
        let waited = Date().timeIntervalSince(killed)
        #expect(waited < 15, "the round ended \(waited) s after the kill")
        let metrics = try rounds(in: run.directory)
        #expect(metrics.first?["received"] as? Int == 2 && metrics.first?["aggregated"] as? Bool == true)
    }

    func schedulerEndpoint(_ run: Run) throws -> String {
        String(try run.scheduler.waitForLine(containing: "listening on").split(separator: " ").last ?? "")
    }

    @Test func theSameSeedGivesTheSameRun() throws {
        var accuracies: [[Double]] = []
        for _ in 0..<2 {
            let run = try Self.start(workers: 2, rounds: 2)
            defer { run.close() }
            _ = try run.scheduler.waitForLine(containing: "final accuracy", timeout: 120)
            accuracies.append(try rounds(in: run.directory).compactMap { $0["accuracy"] as? Double })
        }
        #expect(accuracies[0] == accuracies[1])
    }
}
