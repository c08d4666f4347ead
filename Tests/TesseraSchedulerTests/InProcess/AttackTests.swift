import Foundation
import Testing
@testable import TesseraScheduler
import TesseraTensor
import TesseraTransport
import TesseraWire

/// A peer that lies or sends what no honest worker would: each attack is refused (answered with
/// an error, traced) and the run goes on as without it. Driven in-process like the state-machine
/// tests.
@Suite("Lying and hostile peers")
struct AttackTests {
    /// Two workers joined and round 1's tasks out, claims held to `shares` when given.
    func started(shares: ShareSizes? = nil, heldOut: Double = 0, rounds: Int = 1) throws
        -> (InProcessFederation, [PlayedWorker], [(id: UInt64, task: TrainTask)]) {
        var settings = InProcessFederation.configuration(workers: 2, rounds: rounds)
        settings.heldOut = heldOut
        settings.deadline = 600
        let federation = try InProcessFederation(settings, shares: shares)
        let workers = try ["a", "b"].map { try federation.worker($0) }
        for worker in workers { try worker.register() }
        try federation.pump()
        for worker in workers { try worker.acceptWelcomes(in: worker.inbox()) }
        try federation.pump()
        return (federation, workers, try workers.map { $0.tasks(in: try $0.inbox())[0] })
    }

    func errors(_ worker: PlayedWorker) throws -> [String] {
        try worker.inbox().compactMap { if case let .error(_, text) = $0.message { text } else { nil } }
    }

    /// A register naming a joined worker's id, from another connection, does not take it over.
    @Test func registeringUnderAnotherWorkersIdIsRefused() throws {
        let (federation, workers, tasks) = try started()
        let mallory = try federation.worker("mallory")
        try mallory.send(.register(workerID: "a", sampleCount: 10, labelHistogram: []))
        try federation.pump()
        #expect(try errors(mallory).first?.contains("registers under its own connection identity") == true)
        #expect(federation.machine.membership["a"]?.peer == PeerID("a"))
        #expect(try mallory.inbox().isEmpty, "no welcome, no task for the impostor")
        // a's task still counts.
        try workers[0].answer(tasks[0], shift: 1)
        try workers[1].answer(tasks[1], shift: 1)
        try federation.pump()
        #expect(federation.rounds.first?.contributors == ["a", "b"])
    }

    /// An update claiming 2^64-1 samples would weigh about 1.0 in FedAvg; its share holds 100.
    @Test func anUpdateClaimingMoreSamplesThanItsShareIsRefused() throws {
        let (federation, workers, tasks) = try started(shares: ShareSizes(training: [100, 100], heldOut: [0, 0]))
        let start = federation.machine.global.tensors[0].scalars[0]
        try workers[0].answer(tasks[0], shift: 1, samples: 100)
        try workers[1].answer(tasks[1], shift: 1000, samples: .max)
        try federation.pump()
        #expect(try errors(workers[1]).first?.contains("claims 18446744073709551615 samples; its share holds 100") == true)
        let round = try #require(federation.rounds.first)
        #expect(round.contributors == ["a"])
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1)) < 1e-5)
    }

    @Test func anUpdateForAnotherModelVersionIsRefused() throws {
        let (federation, workers, tasks) = try started()
        try workers[0].answer(tasks[0], shift: 1)
        let (id, task) = tasks[1]
        try workers[1].send(.update(TrainUpdate(round: 1, modelVersion: 7, sampleCount: 10, isDelta: false, metrics: [:],
                                                weights: task.weights)), replyTo: id)
        try federation.pump()
        #expect(try errors(workers[1]).first?.contains("model version 7") == true)
        #expect(federation.rounds.first?.contributors == ["a"])
    }

    /// An evaluation claiming 2^64-1 samples used to trap the scheduler (a conversion to Int).
    @Test func anEvaluationClaimingAbsurdCountsIsRefusedWithoutATrap() throws {
        let (federation, workers, tasks) = try started(shares: ShareSizes(training: [90, 90], heldOut: [10, 10]), heldOut: 0.1)
        for (worker, task) in zip(workers, tasks) { try worker.answer(task, shift: 1, samples: 90) }
        try federation.pump()
        let evaluations = try workers.map { worker in
            try worker.inbox().compactMap { envelope -> UInt64? in
                if case let .evaluateTask(task) = envelope.message { _ = task; return envelope.id } else { return nil }
            }.first
        }
        try workers[0].send(.evaluation(EvaluationResult(round: 1, sampleCount: 10, correctCount: 9, loss: 0.3)),
                            replyTo: try #require(evaluations[0]))
        try workers[1].send(.evaluation(EvaluationResult(round: 1, sampleCount: .max, correctCount: .max, loss: 0.1)),
                            replyTo: try #require(evaluations[1]))
        try federation.pump()
        let federated = try #require(federation.rounds.first?.federated)
        #expect(federated.workers == 1 && federated.samples == 10 && federated.accuracy == 0.9)
        #expect(try errors(workers[1]).first?.contains("cannot be used") == true)
    }

    /// Weights of 3e38 are finite, but the model's test loss overflows: the round is still
    /// recorded (loss null, flagged) and checkpointed, and the run goes on.
    @Test func aModelWhoseLossOverflowsIsStillRecordedAndCheckpointed() throws {
        let (federation, workers, tasks) = try started(rounds: 2)
        for (worker, task) in zip(workers, tasks) {
            let weights = task.task.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor * 0 + 3e38) }
            try worker.send(.update(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 5, isDelta: false, metrics: [:],
                                                weights: weights)), replyTo: task.id)
        }
        try federation.pump()
        let round = try #require(federation.rounds.first)
        #expect(round.loss == .infinity && round.trainLoss == nil)
        #expect(federation.checkpoints.count == 1 && federation.failure == nil)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-nonfinite-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let metrics = try MetricsLog(directory: directory)
        try metrics.append(round)
        let line = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(line.contains("\"loss\":null") && line.contains("\"nonFinite\":[\"loss\"]"), "\(line)")
        #expect(try workers[0].inbox().contains { if case .trainTask = $0.message { true } else { false } }, "round 2 starts")
    }

    /// While workers join, only the welcomed worker's own answer counts: another peer's error
    /// naming that welcome's id does not end the run.
    @Test func anotherPeersErrorToAWelcomeDoesNotAbortTheRun() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2))
        let a = try federation.worker("a"), b = try federation.worker("b")
        try a.register()
        try b.register()
        try federation.pump()
        let welcomeA = try #require(try a.inbox().first { if case .welcome = $0.message { true } else { false } })
        try b.send(.error(code: 100, message: "pretend a cannot join"), replyTo: welcomeA.id)
        try federation.pump()
        #expect(federation.failure == nil)
        try a.send(.done(objectCount: 0, byteCount: 0), replyTo: welcomeA.id)
        try b.acceptWelcomes(in: b.inbox())
        try federation.pump()
        #expect(federation.machine.membership.active == ["a", "b"])
    }

    /// A round's metrics row is written before its checkpoint: a run killed between the two
    /// (or mid-line) and resumed from the checkpoint keeps exactly the committed rounds' rows,
    /// so the round it runs again is not recorded twice.
    @Test func resumingKeepsOnlyTheCheckpointedRoundsRows() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-resume-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let metrics = try MetricsLog(directory: directory)
        for round in 1...3 {
            try metrics.append(RoundResult(round: round, sampled: 1, received: 1, late: 0, aggregated: true, accuracy: 0.5,
                                           loss: 1, seconds: 1, evaluationSeconds: 0))
        }
        let json = directory.appendingPathComponent("metrics.jsonl"), csv = directory.appendingPathComponent("metrics.csv")
        let torn = try FileHandle(forWritingTo: json)
        try torn.seekToEnd()
        try torn.write(contentsOf: Data("{\"round\":4,\"acc".utf8))
        try torn.close()
        let inode = { (url: URL) in try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int }
        let before = (try inode(json), try inode(csv))
        _ = try MetricsLog(directory: directory, resumingAfter: 2)
        // Rewritten beside and renamed into place (new files), never truncated where they are.
        #expect(try inode(json) != before.0 && inode(csv) != before.1)
        let rows = try String(contentsOf: json, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains("\"round\":1") || $0.contains("\"round\":2") }, "\(rows)")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("round,") && lines[2].hasPrefix("2,"), "\(lines)")
    }

    /// Metrics that cannot be written (a full disk) are a clear error naming the file.
    @Test func metricsOnAFullDiskAreAClearError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fullmetrics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let metrics = try MetricsLog(directory: directory)
        let json = directory.appendingPathComponent("metrics.jsonl")
        try FileManager.default.removeItem(at: json)
        try FileManager.default.createSymbolicLink(atPath: json.path, withDestinationPath: "/dev/full")
        let result = RoundResult(round: 1, sampled: 1, received: 1, late: 0, aggregated: true, accuracy: 0.5, loss: 1,
                                 seconds: 1, evaluationSeconds: 0)
        #expect(throws: SchedulerError.self) { try metrics.append(result) }
        do {
            try metrics.append(result)
        } catch {
            #expect("\(error)".hasPrefix("cannot write \(json.path)"), "\(error)")
        }
    }

    /// On a CURVE channel a worker is bound to the key it was admitted with: a register under
    /// another name, and any message from its routing id with another key, are refused.
    @Test func aWorkerIsBoundToItsKey() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 1))
        let machine = federation.machine
        func delivery(_ message: Message, from peer: String, key: String?, id: UInt64 = 1, replyTo: UInt64 = 0) -> Delivery {
            Delivery(peer: PeerID(peer), envelope: .success(Envelope(id: id, replyTo: replyTo, message: message)), byteCount: 0,
                     authenticatedID: key)
        }
        let refused = try machine.handle(delivery(.register(workerID: "a", sampleCount: 0, labelHistogram: []), from: "a", key: "b"))
        #expect(machine.membership.count == 0)
        #expect(refused.contains { if case .send = $0 { true } else { false } })
        let actions = try machine.handle(delivery(.register(workerID: "a", sampleCount: 0, labelHistogram: []), from: "a", key: "a"))
        guard let welcome = actions.lazy.compactMap({ action -> UInt64? in
            guard case let .send(message, _) = action, case .welcome = message.envelope.message else { return nil }
            return message.envelope.id
        }).first else { Issue.record("no welcome"); return }
        // b's key answers a's welcome from a's routing id: dropped, a is not active.
        _ = try machine.handle(delivery(.done(objectCount: 0, byteCount: 0), from: "a", key: "b", id: 2, replyTo: welcome))
        #expect(machine.membership["a"]?.status == .welcomed(messageID: welcome))
        _ = try machine.handle(delivery(.done(objectCount: 0, byteCount: 0), from: "a", key: "a", id: 3, replyTo: welcome))
        #expect(machine.membership.active == ["a"])
    }
}
