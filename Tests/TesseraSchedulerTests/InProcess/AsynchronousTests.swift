import Foundation
import Testing
import TesseraNN
import TesseraScheduler
import TesseraTensor
import TesseraTransport
import TesseraWire

/// FedAsync and FedBuff: their update rules on hand-computed values, and the asynchronous
/// engine driven message by message (staleness, dropping, concurrency, deadlines, lost
/// workers, the wall-time limit). The federation's "accuracy" is the first weight of the global
/// model (``InProcessFederation``), so each step's model shows in its report.
@Suite("Asynchronous FedAvg")
struct AsynchronousTests {
    static func configuration(_ mode: RunSettings.Mode, workers: Int, steps: Int) -> RunSettings {
        var settings = InProcessFederation.configuration(workers: workers, rounds: steps)
        settings.mode = mode
        settings.maxConcurrentTrainers = workers
        return settings
    }

    @Test func stalenessFunctions() {
        #expect(StalenessFunction.constant.weight(7) == 1)
        #expect(StalenessFunction.polynomial(exponent: 0.5).weight(3) == 0.5)        // (3 + 1)^-1/2
        #expect(StalenessFunction.polynomial(exponent: 1).weight(0) == 1)
        #expect(StalenessFunction.hinge(slope: 1, threshold: 2).weight(2) == 1)
        #expect(StalenessFunction.hinge(slope: 1, threshold: 2).weight(4) == 1.0 / 3)  // 1 / (1·(4 − 2) + 1)
        #expect(StalenessFunction.hinge(slope: 0.5, threshold: 0).weight(4) == 1.0 / 3)
    }

    /// One weight, as a parameter set.
    static func model(_ value: Float) throws -> ParameterSet {
        try ParameterSet([("w", try Tensor([value]))])
    }

    @Test func fedAsyncMixesByStaleness() throws {
        let mixing = FedAsync(alpha: 0.5, staleness: .polynomial(exponent: 0.5))
        #expect(mixing.mixingWeight(staleness: 3) == 0.25)
        let update = ValidatedUpdate(workerID: "a", parameters: try Self.model(5), sampleCount: 10)
        // (1 − 0.25)·1 + 0.25·5 = 2.
        #expect(try mixing.mix(update, into: try Self.model(1), staleness: 3) == (try Self.model(2)))
    }

    @Test func fedBuffStepsOnTheStalenessWeightedSampleWeightedChange() throws {
        var buffer = FedBuff(bufferSize: 2, staleness: .polynomial(exponent: 0.5))
        // a trained from 1 to 3 (Δ 2), fresh, 100 samples; b from 0 to 4 (Δ 4), 3 steps old: 4·½ = 2, 300 samples.
        try buffer.add(ValidatedUpdate(workerID: "a", parameters: try Self.model(3), sampleCount: 100), trainedFrom: try Self.model(1), staleness: 0)
        #expect(!buffer.isFull)
        try buffer.add(ValidatedUpdate(workerID: "b", parameters: try Self.model(4), sampleCount: 300), trainedFrom: try Self.model(0), staleness: 3)
        #expect(buffer.isFull)
        var strategy: any AggregationStrategy = FedAvg()
        // Δ̄ = (100·2 + 300·2) / 400 = 2, from the global model 10.
        #expect(try buffer.step(try Self.model(10), with: &strategy) == (try Self.model(12)))
        buffer.clear()
        #expect(buffer.buffer.isEmpty)
        // With FedAvgM (momentum 0.9, rate 1) the first step is the same, the second carries momentum.
        var momentum: any AggregationStrategy = try ServerOptimizer.fedAvgM()
        try buffer.add(ValidatedUpdate(workerID: "a", parameters: try Self.model(1), sampleCount: 1), trainedFrom: try Self.model(0), staleness: 0)
        try buffer.add(ValidatedUpdate(workerID: "b", parameters: try Self.model(1), sampleCount: 1), trainedFrom: try Self.model(0), staleness: 0)
        #expect(try buffer.step(try Self.model(0), with: &momentum) == (try Self.model(1)))
        buffer.clear()
        try buffer.add(ValidatedUpdate(workerID: "a", parameters: try Self.model(2), sampleCount: 1), trainedFrom: try Self.model(1), staleness: 0)
        try buffer.add(ValidatedUpdate(workerID: "b", parameters: try Self.model(2), sampleCount: 1), trainedFrom: try Self.model(1), staleness: 0)
        #expect(try buffer.step(try Self.model(1), with: &momentum) == (try Self.model(2.9)))   // v = 0.9·1 + 1
    }

    @Test func fedAsyncAppliesEachUpdateOnArrivalWeightedByItsStaleness() throws {
        var settings = Self.configuration(.fedasync, workers: 2, steps: 3)
        settings.asyncAlpha = 0.5
        let federation = try InProcessFederation(settings)
        let start = federation.machine.global.tensors[0].scalars[0]
        let (a, b) = try { let w = try federation.join(["a", "b"]); return (w[0], w[1]) }()
        // Both train on version 0 at once.
        let taskA = try #require(a.tasks(in: try a.inbox()).first), taskB = try #require(b.tasks(in: try b.inbox()).first)
        #expect(taskA.task.modelVersion == 0 && taskB.task.modelVersion == 0)
        try a.answer(taskA, shift: 1)
        try federation.pump()
        // Fresh: α = 0.5, the model moves half way to a's.
        var expected = start + 0.5 * 1
        #expect(abs(Float(try #require(federation.rounds.last?.accuracy)) - expected) < 1e-6)
        // a is sent version 1 at once; b's version-0 update is one step old: α = 0.5 · 2^-½.
        let next = try #require(a.tasks(in: try a.inbox()).first)
        #expect(next.task.modelVersion == 1)
        try b.answer(taskB, shift: 2)
        try federation.pump()
        let alpha = Float(0.5 * pow(2, -0.5))
        expected = (1 - alpha) * expected + alpha * (start + 2)
        let second = try #require(federation.rounds.last)
        #expect(try second.round == 2 && abs(Float(#require(second.accuracy)) - expected) < 1e-5)
        #expect(second.staleness == RoundResult.StalenessSummary(steps: 1, mean: 1, maximum: 1, dropped: 0))
        try a.answer(next, shift: 0)
        try federation.pump()
        #expect(federation.rounds.count == 3 && federation.finished)
        #expect(try a.inbox().contains { if case .bye = $0.message { true } else { false } })
    }

    @Test func updatesOlderThanTheMaximumStalenessAreDropped() throws {
        var settings = Self.configuration(.fedasync, workers: 2, steps: 3)
        settings.maxStaleness = 0
        let federation = try InProcessFederation(settings)
        let (a, b) = try { let w = try federation.join(["a", "b"]); return (w[0], w[1]) }()
        let taskA = try #require(a.tasks(in: try a.inbox()).first), taskB = try #require(b.tasks(in: try b.inbox()).first)
        try a.answer(taskA, shift: 1)
        try federation.pump()
        let afterA = federation.machine.global
        try b.answer(taskB, shift: 50)
        try federation.pump()
        // b's update is a step old: dropped, the model unchanged, and b trains again on version 1.
        #expect(federation.machine.global == afterA)
        #expect(try b.tasks(in: b.inbox()).first?.task.modelVersion == 1)
        let nextA = try #require(a.tasks(in: try a.inbox()).first)
        try a.answer(nextA, shift: 1)
        try federation.pump()
        #expect(federation.rounds.last?.staleness?.dropped == 1)
        #expect(federation.rounds.last?.late == 1)
    }

    @Test func fedBuffStepsEveryBufferSizeUpdates() throws {
        var settings = Self.configuration(.fedbuff, workers: 3, steps: 2)
        settings.bufferSize = 2
        let federation = try InProcessFederation(settings)
        let start = federation.machine.global.tensors[0].scalars[0]
        let workers = try federation.join(["a", "b", "c"])
        let tasks = try workers.map { try #require($0.tasks(in: try $0.inbox()).first) }
        try workers[0].answer(tasks[0], shift: 1)
        try federation.pump()
        #expect(federation.rounds.isEmpty, "one update in a buffer of two: no step yet")
        try workers[1].answer(tasks[1], shift: 3)
        try federation.pump()
        // Δ̄ = (1 + 3) / 2.
        #expect(abs(Float(try #require(federation.rounds.first?.accuracy)) - (start + 2)) < 1e-5)
        // a was sent version 0 again (no step yet when it answered), b version 1. c's change from
        // version 0 is now a step old (weight 2^-½); b's from version 1 is fresh.
        #expect(workers[0].tasks(in: try workers[0].inbox()).first?.task.modelVersion == 0)
        let nextB = try #require(workers[1].tasks(in: try workers[1].inbox()).first)
        #expect(nextB.task.modelVersion == 1)
        try workers[2].answer(tasks[2], shift: 4)
        try workers[1].answer(nextB, shift: 2)
        try federation.pump()
        let expected = start + 2 + (4 * Float(pow(2, -0.5)) + 2) / 2
        let second = try #require(federation.rounds.last)
        #expect(try second.round == 2 && abs(Float(#require(second.accuracy)) - expected) < 1e-5)
        #expect(federation.finished && federation.checkpoints.last?.metadata["mode"] == "fedbuff")
    }

    @Test func concurrencyIsCappedAndALostWorkersSlotGoesToAnother() throws {
        var settings = Self.configuration(.fedasync, workers: 2, steps: 2)
        settings.maxConcurrentTrainers = 1
        let federation = try InProcessFederation(settings)
        let workers = try federation.join(["a", "b"])
        let inboxes = try workers.map { try $0.tasks(in: $0.inbox()) }
        #expect(inboxes.map(\.count).reduce(0, +) == 1, "one trainer at a time")
        let (silent, other) = inboxes[0].isEmpty ? (workers[1], workers[0]) : (workers[0], workers[1])
        // The trainer goes silent past the heartbeat timeout (10 s); the other heartbeats.
        for _ in 0..<11 {
            try other.send(.heartbeat)
            try federation.advance(1)
        }
        #expect(federation.machine.membership[silent.id]?.status == .lost)
        #expect(other.tasks(in: try other.inbox()).count == 1)
    }

    @Test func aTaskPastItsDeadlineIsGivenUpAndItsWorkerLeftAloneUntilItAnswers() throws {
        var settings = Self.configuration(.fedasync, workers: 1, steps: 2)
        settings.deadline = 5
        let federation = try InProcessFederation(settings)
        let a = try federation.join(["a"])[0]
        let first = try #require(a.tasks(in: try a.inbox()).first)
        for _ in 0..<6 {
            try a.send(.heartbeat)
            try federation.advance(1)
        }
        // Given up, and no second task while a may still be busy with the first.
        #expect(a.tasks(in: try a.inbox()).isEmpty && federation.failure == nil)
        try a.answer(first, shift: 1)
        try federation.pump()
        // The late update is refused, and a is free again: the next task goes out.
        let inbox = try a.inbox()
        #expect(inbox.contains { if case .error = $0.message { true } else { false } })
        #expect(a.tasks(in: inbox).count == 1)
    }

    @Test func theWallTimeLimitEndsTheRunWithAReport() throws {
        var settings = Self.configuration(.fedbuff, workers: 1, steps: 1000)
        settings.maxSeconds = 5
        let federation = try InProcessFederation(settings)
        let a = try federation.join(["a"])[0]
        for _ in 0..<6 {
            try a.send(.heartbeat)
            try federation.advance(1)
        }
        #expect(federation.finished && federation.rounds.count == 1 && federation.rounds[0].round == 0)
    }

    @Test func settingsThatDoNotFitAsynchronousModesAreRefused() {
        var settings = Self.configuration(.fedasync, workers: 2, steps: 2)
        settings.strategy = .fedadam
        #expect(throws: SettingError.self) { try settings.validate() }
        settings.mode = .fedbuff
        #expect(throws: Never.self) { try settings.validate() }
        settings.heldOut = 0.1
        #expect(throws: SettingError.self) { try settings.validate() }
    }
}
