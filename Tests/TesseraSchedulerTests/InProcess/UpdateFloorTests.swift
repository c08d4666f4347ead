import Foundation
import Testing
import TesseraNN
@testable import TesseraScheduler
import TesseraTensor
import TesseraTransport
import TesseraWire

/// The floor under every strategy: one participant's update, however large or however many
/// samples it claims, does not decide the model. Driven in-process.
@Suite("One participant does not decide the model")
struct UpdateFloorTests {
    static func errors(_ worker: PlayedWorker) throws -> [String] {
        try worker.inbox().compactMap { if case let .error(_, text) = $0.message { text } else { nil } }
    }

    /// Workers joined and their first tasks, under `settings` (three workers unless it says).
    static func started(_ settings: RunSettings, shares: ShareSizes? = nil, ids: [String] = ["a", "b", "c"])
        throws -> (InProcessFederation, [PlayedWorker], [(id: UInt64, task: TrainTask)]) {
        let federation = try InProcessFederation(settings, shares: shares)
        let workers = try federation.join(ids)
        return (federation, workers, try workers.map { $0.tasks(in: try $0.inbox())[0] })
    }

    /// An update of 1e30s (finite) beside two honest ones is refused, naming the bound; the
    /// round averages the other two. It used to make every weight 3e29.
    @Test func anUpdateFarLargerThanTheOthersIsRefused() throws {
        let (federation, workers, tasks) = try Self.started(InProcessFederation.configuration(workers: 3))
        let start = federation.machine.global.tensors[0].scalars[0]
        try workers[0].answer(tasks[0], shift: 1)
        try workers[1].answer(tasks[1], shift: 2)
        try workers[2].answer(tasks[2], shift: 1e30)
        try federation.pump()
        #expect(try Self.errors(workers[2]).first?.contains("training.max_change_ratio") == true)
        let round = try #require(federation.rounds.first)
        #expect(round.contributors == ["a", "b"])
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1.5)) < 1e-4)
    }

    /// A client holding far more data honestly moves the model farther: a change is judged per
    /// square root of its local steps. Thirty times the others' change after 80 steps (2,560
    /// samples of its share, B = 32) is kept; the same change after one step on 10 samples (worth
    /// 3.2 full batches) is refused, saying so.
    @Test func aClientWithMoreDataMayMoveTheModelFarther() throws {
        let shares = ShareSizes(training: [10, 10, 10, 2_560, 10], heldOut: [0, 0, 0, 0, 0])
        let (federation, workers, tasks) = try Self.started(InProcessFederation.configuration(workers: 5), shares: shares,
                                                            ids: ["a", "b", "c", "d", "e"])
        for index in 0..<3 { try workers[index].answer(tasks[index], shift: 1, samples: 10) }
        try workers[3].answer(tasks[3], shift: 30, samples: 2_560)
        try workers[4].answer(tasks[4], shift: 30, samples: 10)
        try federation.pump()
        #expect(try Self.errors(workers[3]).isEmpty)
        let refusal = try #require(try Self.errors(workers[4]).first)
        // 10 samples at B = 32: one batch, a third of a full one, as noisy as 3.2 full batches.
        #expect(refusal.contains("worth 3.2 full-batch steps") && refusal.contains("training.max_change_ratio"), "\(refusal)")
        #expect(federation.rounds.first?.contributors == ["a", "b", "c", "d"])
    }

    /// A short last batch counts as the full batches its noise is worth: a client of 11
    /// samples at B = 10 takes a step on 10 and one on 1 (worth 10), so twenty times the
    /// others' change is kept, while a client of 20 samples (two full batches) moving as far is
    /// refused. The claim does not enter: claiming 1 sample, it is judged by its share.
    @Test func aShortLastBatchCountsForTheNoiseItAdds() throws {
        var settings = InProcessFederation.configuration(workers: 4)
        settings.batchSize = 10
        let shares = ShareSizes(training: [20, 20, 20, 11], heldOut: [0, 0, 0, 0])
        let (federation, workers, tasks) = try Self.started(settings, shares: shares, ids: ["a", "b", "c", "d"])
        for index in 0..<2 { try workers[index].answer(tasks[index], shift: 1, samples: 20) }
        try workers[2].answer(tasks[2], shift: 20, samples: 20)
        try workers[3].answer(tasks[3], shift: 20, samples: 1)
        try federation.pump()
        #expect(try Self.errors(workers[3]).isEmpty)
        let refusal = try #require(try Self.errors(workers[2]).first)
        #expect(refusal.contains("worth 2 full-batch steps"), "\(refusal)")
        #expect(federation.rounds.first?.contributors == ["a", "b", "d"])
    }

    /// A sample count only the worker's word bounds (data of its own, no cap known) does not
    /// widen its allowance: claiming 2,560 samples, its change is judged as one step's.
    @Test func anUnboundedClaimDoesNotWidenTheBound() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 4))
        let workers = try ["a", "b", "c", "d"].map { try federation.worker($0) }
        for (index, worker) in workers.enumerated() { try worker.register(samples: index == 3 ? 2_560 : 10) }
        try federation.pump()
        for worker in workers { try worker.acceptWelcomes(in: worker.inbox()) }
        try federation.pump()
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        for index in 0..<3 { try workers[index].answer(tasks[index], shift: 1, samples: 10) }
        try workers[3].answer(tasks[3], shift: 30, samples: 2_560)
        try federation.pump()
        #expect(try Self.errors(workers[3]).first?.contains("after 1 local step") == true)
        #expect(federation.rounds.first?.contributors == ["a", "b", "c"])
    }

    /// A strategy that takes the updates themselves (the user's own; `aggregatesTheAverageOnly`
    /// false) and FedAvg (which averages while it measures) keep and refuse the same updates
    /// and make the same model, bit for bit; an update that is not finite is refused when the
    /// round closes, saying so.
    @Test(arguments: [Float(3), .nan])
    func aStrategyTakingTheUpdatesSeesTheSameRoundAsFedAvg(third: Float) throws {
        struct UpdateTaker: AggregationStrategy {
            var handed: [[String]] = []
            mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
                var plain = FedAvg()
                return try plain.step(global: global, averageChange: averageChange)
            }
            mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
                handed.append(updates.map(\.workerID).sorted())
                return try FederatedAveraging.aggregate(updates)
            }
            var state: OptimizerState? { nil }
            mutating func restore(_ state: OptimizerState?) throws {}
        }
        var models: [ParameterSet] = []
        for strategy: any AggregationStrategy in [FedAvg(), UpdateTaker()] {
            let federation = try InProcessFederation(InProcessFederation.configuration(workers: 3), strategy: strategy)
            let workers = try federation.join(["a", "b", "c"])
            let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
            let start = federation.machine.global.tensors[0].scalars[0]
            for (index, shift) in [Float(1), 2, third].enumerated() { try workers[index].answer(tasks[index], shift: shift) }
            try federation.pump()
            let kept = third.isFinite ? ["a", "b", "c"] : ["a", "b"]
            #expect(federation.rounds.first?.contributors == kept)
            #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + (third.isFinite ? 2 : 1.5))) < 1e-4)
            #expect(try Self.errors(workers[2]).contains { $0.contains("its change is not finite") } == !third.isFinite)
            if let taker = federation.machine.strategy as? UpdateTaker { #expect(taker.handed == [kept]) }
            models.append(federation.machine.global)
        }
        #expect(models[0] == models[1])
    }

    /// Of two updates, the larger cannot set its own bar: the lower median is the other's.
    @Test func ofTwoUpdatesTheHugeOneIsRefused() throws {
        let (federation, workers, tasks) = try Self.started(InProcessFederation.configuration(workers: 2), ids: ["a", "b"])
        try workers[0].answer(tasks[0], shift: 1e30)
        try workers[1].answer(tasks[1], shift: 1)
        try federation.pump()
        #expect(federation.rounds.first?.contributors == ["b"])
    }

    /// A server step that overflows Float32 (FedAvgM at a server rate of 1e37 on changes of 1e3)
    /// leaves the round without a result: the model stays as it was (and the round says it
    /// aggregated nothing) instead of becoming infinities.
    @Test func aNonFiniteAggregateKeepsThePreviousModel() throws {
        var settings = InProcessFederation.configuration(workers: 2, rounds: 2)
        settings.strategy = .fedavgm
        settings.serverLearningRate = 1e37
        let (federation, workers, tasks) = try Self.started(settings, ids: ["a", "b"])
        let before = federation.machine.global
        try workers[0].answer(tasks[0], shift: 1e3)
        try workers[1].answer(tasks[1], shift: 1e3)
        try federation.pump()
        let round = try #require(federation.rounds.first)
        #expect(!round.aggregated)
        #expect(federation.machine.global == before)
    }

    /// A worker that registered 10^15 samples is held to the largest client share (here 100):
    /// its update claiming them is refused, and the round is the honest one's.
    @Test func aRegisteredSampleCountIsHeldToTheLargestShare() throws {
        let settings = InProcessFederation.configuration(workers: 2)
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [100, 80], heldOut: [0, 0]))
        let honest = try federation.worker("a")
        let liar = try federation.worker("b")
        try honest.register()
        try liar.register(samples: 1_000_000_000_000_000)
        try federation.pump()
        for worker in [honest, liar] { try worker.acceptWelcomes(in: worker.inbox()) }
        try federation.pump()
        let tasks = try [honest, liar].map { $0.tasks(in: try $0.inbox())[0] }
        try honest.answer(tasks[0], shift: 1, samples: 100)
        try liar.answer(tasks[1], shift: -1, samples: 1_000_000_000_000_000)
        try federation.pump()
        #expect(try Self.errors(liar).first?.contains("claims 1000000000000000 samples; its share holds 100") == true)
        #expect(federation.rounds.first?.contributors == ["a"])
    }

    /// `training.max_samples_per_update` bounds what a worker of its own data may claim.
    @Test func theSampleSettingBoundsEveryClaim() throws {
        var settings = InProcessFederation.configuration(workers: 2)
        settings.maxSamplesPerUpdate = 50
        let federation = try InProcessFederation(settings)
        let workers = try ["a", "b"].map { try federation.worker($0) }
        for worker in workers { try worker.register(samples: 60) }
        try federation.pump()
        for worker in workers { try worker.acceptWelcomes(in: worker.inbox()) }
        try federation.pump()
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[0].answer(tasks[0], shift: 1, samples: 50)
        try workers[1].answer(tasks[1], shift: 1, samples: 60)
        try federation.pump()
        #expect(try Self.errors(workers[1]).first?.contains("claims 60 samples; its share holds 50") == true)
        #expect(federation.rounds.first?.contributors == ["a"])
    }

    /// FedAsync mixes each update in as it comes: one of 1e30s after honest ones is refused.
    @Test func anAsynchronousUpdateFarLargerThanRecentOnesIsRefused() throws {
        var settings = InProcessFederation.configuration(workers: 2, rounds: 3)
        settings.mode = .fedasync
        settings.maxConcurrentTrainers = 2
        let (federation, workers, tasks) = try Self.started(settings, ids: ["a", "b"])
        try workers[0].answer(tasks[0], shift: 1)
        try federation.pump()
        let next = try #require(workers[0].tasks(in: try workers[0].inbox()).first)
        let before = federation.machine.global
        try workers[1].answer(tasks[1], shift: 1e30)
        try federation.pump()
        #expect(try Self.errors(workers[1]).first?.contains("training.max_change_ratio") == true)
        #expect(federation.machine.global == before)
        try workers[0].answer(next, shift: 1)
        try federation.pump()
        #expect(federation.machine.global != before)
    }

    /// A first round whose every update was refused ends the run saying why they were, not only
    /// that none came in time.
    @Test func aRunWithoutUsableUpdatesSaysWhyTheyWereRefused() throws {
        let (federation, workers, tasks) = try Self.started(InProcessFederation.configuration(workers: 2), ids: ["a", "b"])
        try workers[0].answer(tasks[0], shift: .infinity)
        try workers[1].answer(tasks[1], shift: .nan)
        try federation.pump()
        let failure = try #require(federation.failure.map { "\($0)" })
        #expect(failure.contains("received no usable update") && failure.contains("refused: update from a cannot be used: its change is not finite"),
                "\(failure)")
    }

    /// An update must answer its task: one with reply-to 0, or an id never sent, is refused in
    /// a round and asynchronously alike, and the round or step goes on without it.
    @Test(arguments: [RunSettings.Mode.sync, .fedasync])
    func anUpdateThatAnswersNoTaskIsRefused(mode: RunSettings.Mode) throws {
        var settings = InProcessFederation.configuration(workers: 2)
        settings.mode = mode
        settings.maxConcurrentTrainers = 2
        let (federation, workers, tasks) = try Self.started(settings, ids: ["a", "b"])
        let before = federation.machine.global
        for replyTo: UInt64 in [0, 999_999] {
            try workers[1].answer((id: replyTo, task: tasks[1].task), shift: 5)
        }
        try federation.pump()
        let refusals = try Self.errors(workers[1])
        #expect(refusals.count == 2 && refusals.allSatisfy { $0.contains("not used") }, "\(refusals)")
        #expect(federation.machine.global == before)
    }

    /// A loss metric that is not finite would make the round's training loss NaN: refused.
    @Test func aNonFiniteLossMetricIsRefused() throws {
        let (federation, workers, tasks) = try Self.started(InProcessFederation.configuration(workers: 2), ids: ["a", "b"])
        try workers[0].answer(tasks[0], shift: 1, loss: 0.5)
        try workers[1].answer(tasks[1], shift: 1, loss: .nan)
        try federation.pump()
        #expect(try Self.errors(workers[1]).first?.contains("its loss metric is nan") == true)
        #expect(federation.rounds.first?.trainLoss == 0.5)
    }
}
