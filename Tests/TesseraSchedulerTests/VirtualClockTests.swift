import Foundation
import TesseraNN
import TesseraScheduler
import TesseraTestSupport
import TesseraTransport
import TesseraWire
import Testing

/// `simulation.clock: virtual`: each sampled client's time comes from its simulated device, a
/// slow client's update is late in virtual time whenever it really came, and a run replays bit
/// for bit from its seed.
@Suite("Virtual time", .serialized)
struct VirtualClockTests {
    /// Two clients' virtual seconds for a task on 100 samples under `settings`.
    static func times(_ settings: RunSettings) throws -> [Double] {
        let devices = VirtualDevices(seed: settings.seed)
        let parameters = try TesseraNN.Model(spec: settings.model, seed: settings.seed).parameters.scalarCount
        return (0..<2).map { devices.trainingSeconds(client: $0, samples: 100, epochs: settings.localEpochs, parameters: parameters) }
    }

    /// Workers a and b, 100 samples each, joined under `settings`, with their first tasks and
    /// which of them is slower in virtual time (by `times`).
    static func joined(_ settings: RunSettings, times: [Double]) throws
        -> (InProcessFederation, [PlayedWorker], [[(id: UInt64, task: TrainTask)]], slow: Int, fast: Int) {
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [100, 100], heldOut: [0, 0]))
        let workers = try federation.join(["a", "b"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox()) }
        return times[0] > times[1] ? (federation, workers, tasks, 0, 1) : (federation, workers, tasks, 1, 0)
    }

    /// Two clients with the same share: the one whose device is slower in virtual time is left
    /// out by a virtual deadline between the two, although its update came first in real time.
    @Test func aSlowDevicesUpdateIsLateInVirtualTimeWhenItCameFirst() throws {
        var settings = InProcessFederation.configuration(workers: 2)
        settings.clock = .virtual
        let times = try Self.times(settings)
        settings.deadline = (times[0] + times[1]) / 2
        let (federation, workers, tasks, slow, fast) = try Self.joined(settings, times: times)
        // The slow one answers first in real time.
        try workers[slow].answer(tasks[slow][0], shift: 1, samples: 100)
        try federation.pump()
        try workers[fast].answer(tasks[fast][0], shift: 3, samples: 100)
        try federation.pump()
        let round = try #require(federation.rounds.first)
        #expect(round.contributors == [workers[fast].id] && round.late == 1)
        #expect(round.virtualSeconds == settings.deadline && round.virtualTime == settings.deadline)
    }

    /// FedAsync on virtual time: the slow device's update, though it came first in real time,
    /// is applied after the fast one's, one step stale.
    @Test func asynchronousAnswersAreTakenInVirtualOrder() throws {
        var settings = InProcessFederation.configuration(workers: 2, rounds: 2)
        settings.mode = .fedasync
        settings.maxConcurrentTrainers = 2
        settings.clock = .virtual
        let times = try Self.times(settings)
        let (federation, workers, tasks, slow, fast) = try Self.joined(settings, times: times)
        try workers[slow].answer(tasks[slow][0], shift: 1, samples: 100)
        try federation.pump()
        #expect(federation.rounds.isEmpty, "held until the fast one's turn")
        try workers[fast].answer(tasks[fast][0], shift: 3, samples: 100)
        try federation.pump()
        #expect(federation.rounds.map(\.contributors) == [[workers[fast].id], [workers[slow].id]])
        #expect(federation.rounds.map { $0.staleness?.mean } == [0, 1])
        #expect(federation.rounds.last?.virtualTime == max(times[0], times[1]))
    }

    /// The same topology twice on virtual time, with a deadline that leaves some clients out:
    /// the same metrics (but for wall-clock seconds) and the same final weights, byte for byte;
    /// asynchronous modes take the answers in virtual order, however they really came.
    @Test(arguments: ["sync", "fedasync", "fedbuff"])
    func aRunOnVirtualTimeReplaysBitForBit(mode: String) throws {
        let modeArguments = mode == "sync" ? ["--rounds", "4"]
            : ["--mode", mode, "--rounds", "20", "--evaluate-every", "5", "--max-concurrent-trainers", "6", "--buffer-size", "3"]
        func run() throws -> (metrics: [[String: Any]], checkpoint: Data) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-virtual-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let (scheduler, endpoint) = try startScheduler(["--workers", "16", "--model", "mnist-2nn", "--data", "synthetic",
                                                            "--partition", "power-law", "--fraction", "0.5", "--clock", "virtual",
                                                            "--deadline", "0.75", "--run-dir", directory.path] + modeArguments)
            defer { _ = scheduler.stop() }
            let host = try ProcessHarness(["worker", "--connect", endpoint, "--id", "h", "--clients", "16", "--no-trace"], includingErrors: true)
            defer { _ = host.stop() }
            _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
            #expect(scheduler.waitForExit(timeout: 30) == 0)
            let metrics = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .map { $0.filter { !["seconds", "evaluationSeconds", "aggregationSeconds"].contains($0.key) } }
            return (metrics, try Data(contentsOf: directory.appendingPathComponent("checkpoint.safetensors")))
        }
        let (first, second) = (try run(), try run())
        #expect(first.metrics.count == 4, "\(first.metrics)")
        #expect(first.metrics.map { NSDictionary(dictionary: $0) } == second.metrics.map { NSDictionary(dictionary: $0) }, "\(first.metrics)\n\(second.metrics)")
        #expect(first.checkpoint == second.checkpoint)
        // The deadline left some out, and the virtual clock moved on by it or less each round.
        #expect(first.metrics.contains { ($0["late"] as? Int ?? 0) > 0 }, "\(first.metrics)")
        #expect(first.metrics.allSatisfy { ($0["virtualTime"] as? Double ?? 0) > 0 })
        if mode == "sync" { #expect(first.metrics.allSatisfy { ($0["virtualSeconds"] as? Double ?? 1) <= 0.75 }) }
    }
}
