import FedNova
import Foundation
import Testing
import TesseraNN
import TesseraScheduler
import TesseraTensor

@Suite("FedNova")
struct FedNovaTests {
    static func parameters(_ values: [Float]) throws -> ParameterSet {
        try ParameterSet([(name: "w", tensor: try Tensor(values, shape: [values.count]))])
    }

    @Test func changesAreNormalizedByLocalStepsThenScaledByTheEffectiveSteps() throws {
        var strategy = FedNova(localEpochs: 1, batchSize: 10)
        let global = try Self.parameters([0, 0])
        // a: 10 samples, 1 step, moved by (1, 0); b: 30 samples, 3 steps, moved by (0, 3).
        let updates = [ValidatedUpdate(workerID: "a", parameters: try Self.parameters([1, 0]), sampleCount: 10),
                       ValidatedUpdate(workerID: "b", parameters: try Self.parameters([0, 3]), sampleCount: 30)]
        let next = try strategy.aggregate(global: global, updates: updates)
        // p = (1/4, 3/4), τ = (1, 3), τ_eff = 2.5: 2.5 · (1/4 · (1, 0) + 3/4 · (0, 1)) = (0.625, 1.875).
        let values = next.tensors[0].scalars
        #expect(abs(values[0] - 0.625) < 1e-6 && abs(values[1] - 1.875) < 1e-6, "\(values)")
        // FedAvg would give (0.25, 2.25): the client with more steps pulls less.
        var plain = FedAvg()
        #expect(try plain.aggregate(global: global, updates: updates).tensors[0].scalars == [0.25, 2.25])
    }

    @Test func withEqualStepsItIsFedAvg() throws {
        var strategy = FedNova(localEpochs: 2, batchSize: 32)
        var plain = FedAvg()
        let global = try Self.parameters([1, -1, 0.5])
        let updates = [ValidatedUpdate(workerID: "a", parameters: try Self.parameters([2, 0, 0]), sampleCount: 60),
                       ValidatedUpdate(workerID: "b", parameters: try Self.parameters([0, 1, 1]), sampleCount: 64)]
        let ours = try strategy.aggregate(global: global, updates: updates).tensors[0].scalars
        let theirs = try plain.aggregate(global: global, updates: updates).tensors[0].scalars
        for (x, y) in zip(ours, theirs) { #expect(abs(x - y) < 1e-6) }
    }

    @Test func itsMomentumIsStateThatRestores() throws {
        var strategy = FedNova(localEpochs: 1, batchSize: 10, momentum: 0.5)
        let global = try Self.parameters([0])
        let update = [ValidatedUpdate(workerID: "a", parameters: try Self.parameters([1]), sampleCount: 10)]
        let first = try strategy.aggregate(global: global, updates: update)
        var restored = FedNova(localEpochs: 1, batchSize: 10, momentum: 0.5)
        try restored.restore(strategy.state)
        #expect(try restored.aggregate(global: first, updates: update) == strategy.aggregate(global: first, updates: update))
        #expect(throws: SchedulerError.self) {
            try restored.restore(OptimizerState(kind: "adam", step: 1, buffers: [:]))
        }
    }
}

/// The program this package builds — the `tessera` command with FedNova registered — running a
/// federation of real worker processes (itself, as `worker`), checkpointing FedNova's state and
/// resuming from it.
@Suite("FedNova in a run", .serialized)
struct FedNovaRunTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let smoke = packageRoot.appendingPathComponent("../../Topologies/smoke.yaml").standardizedFileURL.path

    /// The executable built beside the test bundle.
    static var program: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("fednova-tessera")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/fednova-tessera").path
    }

    /// Runs the program with `arguments` to its end (at most `timeout` seconds, then killed):
    /// its exit status and output.
    static func run(_ arguments: [String], timeout: Double = 300) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fednova-\(UUID()).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    static func checkpoint(of run: URL) throws -> Checkpoint {
        try Checkpoint(contentsOf: run.appendingPathComponent("checkpoint.safetensors"))
    }

    @Test func aRunLearnsAndAResumedOneEndsWithTheSameWeights() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("fednova-runs-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        // Label-skewed clients of different sizes, so that their local steps differ.
        let common = ["--partition", "dirichlet", "--alpha", "0.5", "--server-momentum", "0.5", "--set", "runs=\(runs.path)"]
        let whole = try Self.run(["launch", Self.smoke, "--strategy", "fednova", "--rounds", "4"] + common)
        #expect(whole.status == 0, "\(whole.output)")
        #expect(whole.output.contains("done: final accuracy"), "\(whole.output)")
        let wholeRun = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        let finished = try Self.checkpoint(of: wholeRun)
        #expect(finished.optimizer?.kind == "fednova" && finished.optimizer?.step == 4 && finished.optimizer?.buffers["velocity"] != nil)
        let accuracy = whole.output.split(separator: "\n").last { $0.hasPrefix("done:") }
            .flatMap { line in line.split(separator: " ").first { $0.hasSuffix("%,") } }.flatMap { Double($0.dropLast(2)) } ?? 0
        #expect(accuracy > 50, "\(whole.output)")

        let half = try Self.run(["launch", Self.smoke, "--strategy", "fednova", "--rounds", "2"] + common)
        #expect(half.status == 0, "\(half.output)")
        let halfRun = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        let resumed = try Self.run(["launch", "--resume", halfRun.path, "--rounds", "4"])
        #expect(resumed.status == 0, "\(resumed.output)")
        // It went on from round 3, with the momentum the checkpoint kept.
        #expect(!resumed.output.contains("round 2:") && resumed.output.contains("round 3:"), "\(resumed.output)")
        #expect(try Self.checkpoint(of: halfRun).parameters == finished.parameters)
        #expect(try Self.checkpoint(of: halfRun).optimizer == finished.optimizer)

        // The same run under FedAvg ends elsewhere: FedNova is not FedAvg under another name.
        let fedavg = try Self.run(["launch", Self.smoke, "--strategy", "fedavg", "--rounds", "4"] + common)
        #expect(fedavg.status == 0, "\(fedavg.output)")
        #expect(try Self.checkpoint(of: runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()).parameters != finished.parameters)
    }

    /// The scheduler in this process, given a FedNova value (no registry, no topology file),
    /// and two worker processes that connect to it.
    @Test func aSchedulerInThisProcessTakesTheStrategyItself() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fednova-inprocess-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = RunSettings()
        (settings.workers, settings.data, settings.model, settings.rounds) = (2, "synthetic", try ModelSpec.named("mnist-2nn"), 2)
        (settings.partition, settings.alpha, settings.fraction) = (.dirichlet, 0.5, 0.5)
        let scheduler = try FederatedScheduler(settings: settings, runDirectory: directory,
                                               strategy: FedNova(localEpochs: settings.localEpochs, batchSize: settings.batchSize))
        var rounds: [RoundResult] = []
        scheduler.onRound = { rounds.append($0) }
        // A sampler and an evaluation hook of one's own: the one worker with the most data trains
        // each round, and the model's size is recorded beside its accuracy.
        scheduler.clientSampler = LargestClients()
        scheduler.evaluationHook = { model, _ in ["weightNorm": model.l2Norm()] }
        let workers = try (1...2).map { index in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.program)
            process.arguments = ["worker", "--connect", scheduler.address, "--id", "worker-\(index)", "--no-trace"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        defer { for worker in workers where worker.isRunning { worker.terminate() } }
        let results = try scheduler.run()
        #expect(results.count == 2 && rounds.count == 2)
        #expect((results.last?.accuracy ?? 0) > 0.3, "\(results)")
        #expect(try Self.checkpoint(of: directory).optimizer?.kind == "fednova")
        // Dirichlet shares differ in size: the same, largest, worker every round.
        #expect(results.allSatisfy { $0.contributors.count == 1 } && Set(results.map(\.contributors)).count == 1, "\(results)")
        #expect(results.allSatisfy { ($0.custom?["weightNorm"] ?? 0) > 0 }, "\(results)")
        let metrics = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").allSatisfy { $0.contains("\"custom\":{\"weightNorm\":") }, "\(metrics)")
    }

    /// The sampler and the hook this program registered, chosen by name on the command line.
    @Test func aLaunchedRunSamplesAndEvaluatesWithWhatTheProgramRegistered() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("fednova-named-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let result = try Self.run(["launch", Self.smoke, "--sampler", "largest", "--evaluation-hook", "weight-norm", "--rounds", "3",
                                   "--partition", "dirichlet", "--alpha", "0.5", "--fraction", "0.3", "--set", "runs=\(runs.path)"])
        #expect(result.status == 0, "\(result.output)")
        let run = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        let rows = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(rows.count == 3, "\(rows)")
        // One worker a round, the same (largest) one every round; the hook's figure in every row.
        let contributors = rows.map { $0["contributors"] as? [String] ?? [] }
        #expect(contributors.allSatisfy { $0.count == 1 } && Set(contributors).count == 1, "\(contributors)")
        #expect(rows.allSatisfy { (($0["custom"] as? [String: Double])?["weightNorm"] ?? 0) > 0 }, "\(rows)")
        // And on each round's line.
        #expect(result.output.split(separator: "\n").filter { $0.hasPrefix("round ") && $0.contains("; weightNorm ") }.count == 3, "\(result.output)")
    }

    @Test func anUnknownStrategyIsOneLineNamingTheRegisteredOnes() throws {
        let result = try Self.run(["check", Self.smoke, "--strategy", "fednovaa"])
        #expect(result.status == 1 || result.status == 2)
        #expect(result.output.contains("training.strategy: must be fedavg | fedavgm | fedprox | fedadam | fedyogi | fednova (did you mean 'fednova'?), not 'fednovaa'"), "\(result.output)")
    }

    @Test func anUnknownOrMisusedSamplerOrHookIsOneLine() throws {
        let misspelt = try Self.run(["check", Self.smoke, "--sampler", "largets"])
        #expect(misspelt.status == 1 || misspelt.status == 2)
        #expect(misspelt.output.contains("training.sampler: must be uniform | largest (did you mean 'largest'?), not 'largets'"), "\(misspelt.output)")
        let hook = try Self.run(["check", Self.smoke, "--evaluation-hook", "norm"])
        #expect(hook.output.contains("training.evaluation_hook: must be none | weight-norm"), "\(hook.output)")
        let asynchronous = try Self.run(["check", Self.smoke, "--sampler", "largest", "--mode", "fedbuff"])
        #expect(asynchronous.status != 0 && asynchronous.output.contains("training.sampler: chooses the workers of synchronous rounds: it needs training.mode sync"),
                "\(asynchronous.output)")
    }
}
