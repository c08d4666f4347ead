import Foundation
import Testing
import TesseraScheduler
import TesseraTensor
import TesseraTransport
import TesseraWire

/// The scheduler's decisions, driven message by message in-process with a manual clock:
/// registration, joining, rounds, deadlines, quorum, lost and rejoining workers, late and
/// garbage answers. No process, no socket, no sleep.
@Suite("Scheduler state machine")
struct SchedulerMachineTests {
    @Test func welcomesInIdOrderAFewAtATimeThenSendsTheTask() throws {
        var configuration = InProcessFederation.configuration(workers: 3)
        configuration.maxConcurrentTrainers = 2
        let federation = try InProcessFederation(configuration)
        let (c, a, b) = (try federation.worker("c"), try federation.worker("a"), try federation.worker("b"))
        try c.register()
        try a.register()
        try federation.pump()
        #expect(try a.inbox().allSatisfy { $0.message == .done(objectCount: 0, byteCount: 0) },
                "only the registration's acknowledgement before every expected worker registered")
        try b.register()
        try federation.pump()
        // Two load at once; client indices follow the sorted ids.
        let (inboxA, inboxB, inboxC) = (try a.inbox(), try b.inbox(), try c.inbox())
        #expect(try a.acceptWelcomes(in: inboxA) == [0])
        #expect(try c.acceptWelcomes(in: inboxC).isEmpty)
        try federation.pump()
        let welcomeC = try c.inbox()
        #expect(try c.acceptWelcomes(in: welcomeC) == [2])
        #expect(try b.acceptWelcomes(in: inboxB) == [1])
        try federation.pump()
        // Every one answered: round 1's task goes to two of them, the third when one answers.
        let tasks = [a, b, c].map { (try? $0.inbox()).map($0.tasks) ?? [] }
        #expect(tasks.map(\.count) == [1, 1, 0])
        try a.answer(tasks[0][0], shift: 1)
        try federation.pump()
        #expect(c.tasks(in: try c.inbox()).count == 1)
        #expect(federation.machine.membership["b"]?.clientIndex == 1)
    }

    /// A run of more than a hundred workers says every tenth of them registered, once: a worker
    /// that registers again while the scheduler was busy (it heard nothing for a while) does
    /// not say the same tenth again (a 10-million-client run printed "8000000 of 10000000
    /// workers registered" three times).
    @Test func aWorkerRegisteringAgainDoesNotRepeatTheProgressLine() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 200))
        let workers = try (0..<21).map { try federation.worker(String(format: "w%03d", $0)) }
        for worker in workers.prefix(20) { try worker.register() }
        try federation.pump()
        #expect(federation.registrations.map(\.count) == [20])
        try workers[19].register()
        try federation.pump()
        try workers[20].register()
        try federation.pump()
        #expect(federation.registrations.map(\.count) == [20], "\(federation.registrations.map(\.line))")
    }

    /// The scheduler heartbeats every worker it sent nothing for 2 s, so a worker can tell that
    /// it is gone from it having nothing to ask.
    @Test func theSchedulerHeartbeatsItsQuietWorkers() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2))
        let workers = try federation.join(["a", "b"])
        for worker in workers { _ = try worker.inbox() }
        func heartbeats(_ worker: PlayedWorker) throws -> Int {
            try worker.inbox().count { if case .heartbeat = $0.message { true } else { false } }
        }
        try federation.advance(1.5)
        #expect(try workers.map(heartbeats) == [0, 0])
        try federation.advance(0.6)
        #expect(try workers.map(heartbeats) == [1, 1])
        try federation.advance(1)
        #expect(try workers.map(heartbeats) == [0, 0])
        try federation.advance(1.1)
        #expect(try workers.map(heartbeats) == [1, 1])
    }

    /// A worker that registered and waits for the others (heartbeating, as workers do) still
    /// hears from the scheduler: with a hundred workers the wait outlasted the 10 s after which
    /// a worker takes the scheduler for gone and registers again (found in a 100-worker trace).
    @Test func aWorkerWaitingForItsWelcomeIsHeartbeated() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 3))
        let (a, b) = (try federation.worker("a"), try federation.worker("b"))
        try a.register()
        try b.register()
        try federation.pump()
        var heard = [0, 0]
        for _ in 0..<10 {
            for worker in [a, b] { try worker.send(.heartbeat) }
            try federation.advance(1)
            for (index, worker) in [a, b].enumerated() {
                heard[index] += try worker.inbox().count { if case .heartbeat = $0.message { true } else { false } }
            }
        }
        #expect(heard.allSatisfy { $0 >= 4 }, "scheduler heartbeats heard in 10 s of waiting: \(heard)")
    }

    /// A checkpoint keeps the sampler's state: a machine resumed from round 1's checkpoint
    /// sends round 2's task to exactly the workers the uninterrupted run sampled, whatever
    /// happened to the membership before.
    @Test func aResumedRunSamplesAsTheUninterruptedOne() throws {
        var settings = InProcessFederation.configuration(workers: 4, rounds: 2)
        settings.fraction = 0.5
        func recipients(_ workers: [PlayedWorker]) throws -> [String] {
            try workers.filter { !$0.tasks(in: try $0.inbox()).isEmpty }.map(\.id)
        }
        let whole = try InProcessFederation(settings)
        let workers = try whole.join(["a", "b", "c", "d"])
        for worker in workers {
            for task in worker.tasks(in: try worker.inbox()) { try worker.answer(task, shift: 1) }
        }
        try whole.pump()
        let checkpoint = try #require(whole.checkpoints.first)
        let sampler = try #require(checkpoint.metadata["sampler"].flatMap(SeededGenerator.init(snapshot:)))
        let expected = try recipients(workers)
        #expect(expected.count == 2)

        let resumed = try InProcessFederation(settings, firstRound: 2, sampler: sampler)
        #expect(try recipients(try resumed.join(["a", "b", "c", "d"])) == expected)
    }

    /// The scheduler writes a round's hyperparameters once and reuses the text while they stay
    /// the same: a schedule's new rate must still reach the next round's task.
    @Test func eachRoundsTaskCarriesThatRoundsLearningRate() throws {
        var settings = InProcessFederation.configuration(workers: 1, rounds: 5)
        settings.learningRate = 0.1
        settings.learningRateSchedule = .step
        settings.learningRateStepRounds = 2
        settings.learningRateGamma = 0.5
        let federation = try InProcessFederation(settings)
        let worker = try #require(try federation.join(["a"]).first)
        var rates: [Float] = []
        for _ in 1...5 {
            let tasks = worker.tasks(in: try worker.inbox())
            for task in tasks {
                rates.append(try JSONDecoder().decode(Hyperparameters.self, from: Data(task.task.hyperparameters.utf8)).learningRate)
                try worker.answer(task, shift: 0.01)
            }
            try federation.pump()
        }
        #expect(rates == [0.1, 0.1, 0.05, 0.05, 0.025])
    }

    @Test func aWelcomeAnsweredByAnotherPeerDoesNotCount() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2))
        let a = try federation.worker("a"), b = try federation.worker("b")
        try a.register()
        try b.register()
        try federation.pump()
        let welcomeA = try a.inbox()
        _ = try b.inbox()
        // b answers a's welcome (and not its own): a is still joining, no task goes out.
        for envelope in welcomeA { try b.send(.done(objectCount: 0, byteCount: 0), replyTo: envelope.id) }
        try federation.pump()
        #expect(federation.machine.membership.active.isEmpty)
    }

    @Test func aggregatesSampleWeightedAndFinishes() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2))
        let workers = try federation.join(["a", "b"])
        let start = federation.machine.global.tensors[0].scalars[0]
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[0].answer(tasks[0], shift: 1, samples: 100, loss: 0.8)
        try workers[1].answer(tasks[1], shift: 4, samples: 300, loss: 0.4)
        try federation.pump()
        let round = try #require(federation.rounds.first)
        #expect(round.received == 2 && round.aggregated && round.late == 0)
        #expect(round.contributors == ["a", "b"])
        #expect(abs(try #require(round.trainLoss) - 0.5) < 1e-12)   // (100 · 0.8 + 300 · 0.4) / 400
        // (100 * 1 + 300 * 4) / 400 = 3.25 added to every weight.
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 3.25)) < 1e-5)
        #expect(federation.checkpoints.first?.metadata["round"] == "1")
        #expect(federation.finished)
        #expect(workers.allSatisfy { worker in (try? worker.inbox())?.contains { if case .bye = $0.message { true } else { false } } == true })
    }

    @Test func theDeadlineClosesTheRoundWithTheQuorum() throws {
        var configuration = InProcessFederation.configuration(workers: 3, rounds: 2)
        configuration.quorum = 2
        configuration.deadline = 30
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["a", "b", "c"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[0].answer(tasks[0], shift: 1)
        try workers[1].answer(tasks[1], shift: 1)
        // c heartbeats (as all do) but never answers: it is alive, so only the deadline ends the round.
        for _ in 0..<29 {
            for worker in workers { try worker.send(.heartbeat) }
            try federation.advance(1)
        }
        #expect(federation.rounds.isEmpty)
        for worker in workers { try worker.send(.heartbeat) }
        try federation.advance(1)
        let round = try #require(federation.rounds.first)
        #expect(round.received == 2 && round.late == 1 && round.aggregated)
        #expect(round.seconds == 30)
        // c's late answer to round 1 does not count in round 2.
        try workers[2].answer(tasks[2], shift: 100)
        try federation.pump()
        #expect(federation.rounds.count == 1)
        let second = try workers.map { $0.tasks(in: try $0.inbox()) }
        #expect(second.allSatisfy { $0.count == 1 && $0[0].task.round == 2 })
    }

    @Test func withoutAQuorumTheModelStaysAsItWas() throws {
        var configuration = InProcessFederation.configuration(workers: 2, rounds: 2)
        configuration.quorum = 2
        configuration.deadline = 5
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["a", "b"])
        let before = federation.machine.global
        try workers[0].answer(workers[0].tasks(in: try workers[0].inbox())[0], shift: 1)
        try workers[1].send(.heartbeat)
        try federation.advance(5)
        let round = try #require(federation.rounds.first)
        #expect(round.received == 1 && !round.aggregated)
        #expect(federation.machine.global == before)
    }

    /// The model is evaluated by the driver away from the message loop: however long that
    /// takes, the machine meanwhile heartbeats its workers, hears theirs and loses none of them,
    /// and the round is reported once the evaluation comes.
    @Test func workersAreHeardAndHeartbeatedWhileTheModelIsEvaluated() throws {
        var configuration = InProcessFederation.configuration(workers: 2, rounds: 2)
        configuration.heartbeatTimeout = 3
        let federation = try InProcessFederation(configuration)
        federation.holdsEvaluations = true
        let workers = try federation.join(["a", "b"])
        try federation.answerRound(of: workers)
        #expect(federation.heldEvaluations == 1 && federation.rounds.isEmpty)
        var heartbeats = 0
        for _ in 0..<20 {
            for worker in workers { try worker.send(.heartbeat) }
            try federation.advance(1)
            heartbeats += try workers[0].inbox().count { $0.message == .heartbeat }
        }
        #expect(heartbeats >= 9, "the scheduler sent a worker \(heartbeats) heartbeats in 20 s of evaluation")
        #expect(federation.machine.membership.active == ["a", "b"])
        #expect(federation.machine.activity == "while round 1's model was evaluated")
        try federation.answerHeldEvaluations()
        #expect(federation.rounds.count == 1)
        for worker in workers { #expect(!worker.tasks(in: try worker.inbox()).isEmpty, "round 2 went to \(worker.id)") }
    }

    /// A pause of the scheduler is not the workers' silence, but it is the round's time: the
    /// round reports the wall seconds it took, and `training.max_seconds` counts them.
    @Test func aPausedSchedulerLosesNoWorkerAndReportsTheWallTime() throws {
        var configuration = InProcessFederation.configuration(workers: 2, rounds: 3)
        configuration.heartbeatTimeout = 3
        configuration.maxSeconds = 10
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["a", "b"])
        try federation.advance(1)
        try federation.paused(15)
        #expect(federation.machine.membership.active == ["a", "b"])
        try federation.answerRound(of: workers)
        let round = try #require(federation.rounds.first)
        #expect(round.received == 2 && round.seconds >= 16, "round 1 took \(round.seconds) s")
        // 16 s of the 10 allowed passed: the run stops after round 1.
        #expect(federation.finished && federation.rounds.count == 1)
    }

    @Test func aWorkerSilentMidTaskIsLostAndTheRoundGoesOn() throws {
        var configuration = InProcessFederation.configuration(workers: 3, rounds: 2)
        configuration.deadline = 600
        configuration.heartbeatTimeout = 2
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["a", "b", "c"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[0].answer(tasks[0], shift: 1)
        try workers[1].answer(tasks[1], shift: 1)
        try federation.advance(1.5)
        #expect(federation.rounds.isEmpty)
        #expect(try #require(federation.machine.nextDeadline) == 2)
        try federation.advance(0.6)   // c has been silent for 2.1 s, far short of the 600 s deadline
        let round = try #require(federation.rounds.first)
        #expect(round.received == 2 && round.late == 1)
        #expect(federation.machine.membership["c"]?.status == .lost)
        // Round 2 leaves c out; a heartbeat brings it back for round 3 (were there one).
        #expect(workers[2].tasks(in: try workers[2].inbox()).isEmpty, "c is only sent heartbeats")
        try workers[2].send(.heartbeat)
        try federation.pump()
        #expect(federation.machine.membership["c"]?.status == .active)
    }

    @Test func aRestartedWorkerIsWelcomedAgainAndUsedAgain() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2, rounds: 2))
        let workers = try federation.join(["a", "b"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[0].answer(tasks[0], shift: 1)
        // b's process dies mid-task and comes back under the same id on a new connection.
        workers[1].channel.close()
        let restarted = try federation.worker("b")
        try restarted.register()
        try federation.pump()
        // Its task is given up at once (no wait for silence), round 1 closes with a alone.
        let round = try #require(federation.rounds.first)
        #expect(round.received == 1 && round.late == 1)
        // The new b gets the same client index; until it answers, round 2 leaves it out.
        let inbox = try restarted.inbox()
        #expect(try restarted.acceptWelcomes(in: inbox) == [1])
        #expect(restarted.tasks(in: inbox).isEmpty)
        try federation.pump()
        #expect(federation.machine.membership["b"]?.status == .active)
        try workers[0].answer(workers[0].tasks(in: try workers[0].inbox())[0], shift: 1)
        try federation.pump()
        #expect(federation.rounds.count == 2 && federation.finished)
    }

    @Test(arguments: ["wrong shapes", "not finite", "no samples", "malformed bytes", "error reply"])
    func aGarbageAnswerCostsOnlyThatWorker(kind: String) throws {
        var configuration = InProcessFederation.configuration(workers: 2)
        configuration.deadline = 600
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["honest", "mallory"])
        let start = federation.machine.global.tensors[0].scalars[0]
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[0].answer(tasks[0], shift: 2)
        let (id, task) = tasks[1]
        func update(_ weights: [NamedTensor], samples: UInt64 = 10) -> Message {
            .update(TrainUpdate(round: task.round, modelVersion: task.modelVersion, sampleCount: samples, isDelta: false,
                                metrics: [:], weights: weights))
        }
        switch kind {
        case "wrong shapes": try workers[1].send(update([NamedTensor(name: "fc1.weight", tensor: Tensor([1, 2, 3]))]), replyTo: id)
        case "not finite": try workers[1].send(update(task.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor * Float.nan) }), replyTo: id)
        case "no samples": try workers[1].send(update(task.weights, samples: 0), replyTo: id)
        case "malformed bytes": try workers[1].channel.sendRaw([Data([0x54, 0x53, 0x52, 0x41, 1, 21, 0, 0, 0xFF])], to: nil)
        default: try workers[1].send(.error(code: 100, message: "out of memory"), replyTo: id)
        }
        try federation.pump()
        // The round ends now (no wait for the deadline), from the honest update alone.
        let round = try #require(federation.rounds.first)
        #expect(round.received == 1 && round.aggregated)
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 2)) < 1e-5)
    }

    @Test func tooFewWorkersBeforeTheRegistrationTimeoutFailTheRun() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2))
        try federation.worker("a").register()
        try federation.advance(29)
        #expect(federation.failure == nil)
        try federation.advance(1)
        #expect(federation.failure == .tooFewWorkers(registered: 1, expected: 2, seconds: 30))
    }

    /// A worker that dies while loading its data (silent after its welcome) is given up after the
    /// heartbeat timeout, and the run starts with those that joined, as the quorum allows; with
    /// a quorum they cannot make, the run fails naming the one that did not join.
    @Test func aWorkerThatDiesWhileJoiningIsLeftOut() throws {
        for quorum in [2, 3] {
            var configuration = InProcessFederation.configuration(workers: 3)
            configuration.heartbeatTimeout = 2
            configuration.quorum = quorum
            configuration.maxConcurrentTrainers = 3
            let federation = try InProcessFederation(configuration)
            let workers = try ["a", "b", "c"].map { try federation.worker($0) }
            for worker in workers { try worker.register() }
            try federation.pump()
            for worker in workers.prefix(2) { try worker.acceptWelcomes(in: worker.inbox()) }
            try federation.advance(1)
            #expect(workers[0].tasks(in: try workers[0].inbox()).isEmpty, "no round before c is given up")
            for worker in workers.prefix(2) { try worker.send(.heartbeat) }
            try federation.advance(1.5)
            if quorum == 2 {
                #expect(federation.failure == nil)
                #expect(federation.machine.membership["c"]?.status == .lost)
                #expect(!workers[0].tasks(in: try workers[0].inbox()).isEmpty, "round 1 started without c")
            } else {
                #expect(federation.failure.map { "\($0)" }?.contains("workers c did not finish joining") == true)
            }
        }
    }

    @Test func aWorkerThatCannotJoinFailsTheRun() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 1))
        let a = try federation.worker("a")
        try a.register()
        try federation.pump()
        let welcome = try #require(try a.inbox().first { if case .welcome = $0.message { true } else { false } })
        try a.send(.error(code: 100, message: "no data at /nowhere"), replyTo: welcome.id)
        try federation.pump()
        #expect(federation.failure == .joinFailed(worker: "a", reason: "no data at /nowhere"))
    }

    @Test func aFirstRoundWithoutUpdatesIsReportedThenFails() throws {
        var configuration = InProcessFederation.configuration(workers: 1, rounds: 3)
        configuration.deadline = 5
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["a"])
        try workers[0].send(.heartbeat)
        try federation.advance(5)
        #expect(federation.rounds.count == 1 && federation.rounds[0].received == 0)
        #expect(federation.failure == .noUpdates(round: 1, sampled: 1, deadline: 5))
        #expect(federation.machine.hasEnded)
    }

    @Test func strangersAndStrayMessagesChangeNothing() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 1))
        let stranger = try federation.worker("stranger")
        try stranger.send(.update(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 1, isDelta: false, metrics: [:], weights: [])))
        try stranger.channel.sendRaw([Data([1, 2, 3])], to: nil)
        try federation.pump()
        #expect(federation.machine.membership.count == 0 && federation.failure == nil)
    }
}

/// What the scheduler answers, so that a worker (in any language) can tell what happened.
@Suite("Scheduler replies")
struct SchedulerReplyTests {
    func errors(in envelopes: [Envelope]) -> [(replyTo: UInt64, text: String)] {
        envelopes.compactMap { if case let .error(_, text) = $0.message { ($0.replyTo, text) } else { nil } }
    }

    @Test func registrationsAreAcknowledgedAndLateComersRefused() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 1))
        let a = try federation.worker("a")
        try a.register()
        try federation.pump()
        let inbox = try a.inbox()
        #expect(inbox.first?.message == .done(objectCount: 0, byteCount: 0) && inbox.first?.replyTo == 1001)
        try a.acceptWelcomes(in: inbox)
        try federation.pump()
        let late = try federation.worker("z")
        try late.register()
        try federation.pump()
        #expect(errors(in: try late.inbox()).first?.text.contains("already has its 1 workers") == true)
    }

    /// Garbage from a worker uses up its task: a corrected update after it is refused saying
    /// that the task was given up and why (it used to say the update came late, or unasked).
    @Test func anAnswerToATaskGivenUpSaysWhy() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 2))
        let workers = try federation.join(["a", "b"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        try workers[1].channel.sendRaw([Data([0x54, 0x53, 0x52, 0x41, 9])], to: nil)
        try federation.pump()
        _ = try workers[1].inbox()
        try workers[1].answer(tasks[1], shift: 1)
        try federation.pump()
        let refusal = try #require(errors(in: try workers[1].inbox()).first)
        #expect(refusal.text.contains("its task was given up: it sent a message that could not be decoded"), "\(refusal.text)")
    }

    @Test func garbageUnusableAndLateAnswersAreAnsweredWithTheReason() throws {
        var settings = InProcessFederation.configuration(workers: 2, rounds: 2)
        settings.quorum = 1
        let federation = try InProcessFederation(settings)
        let a = try federation.worker("a"), b = try federation.worker("b")
        for worker in [a, b] { try worker.register() }
        try federation.pump()
        for worker in [a, b] { try worker.acceptWelcomes(in: worker.inbox()) }
        try federation.pump()
        let taskA = a.tasks(in: try a.inbox())[0], taskB = b.tasks(in: try b.inbox())[0]
        try a.answer(taskA, shift: 1)
        // b answers with the wrong shapes: it is told why.
        try b.send(.update(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 5, isDelta: false, metrics: [:],
                                       weights: [NamedTensor(name: "w", tensor: Tensor([1]))])), replyTo: taskB.id)
        try federation.pump()
        let refusal = try #require(errors(in: try b.inbox()).first)
        #expect(refusal.replyTo == 1003 && refusal.text.contains("update from b cannot be used"), "\(refusal.text)")
        // Round 1 is over: a second answer to its task is late, and said to be.
        try a.answer(taskA, shift: 1)
        try federation.pump()
        #expect(errors(in: try a.inbox()).contains { $0.text.contains("came after its round closed") })
        // Undecodable bytes get an error too.
        try a.channel.sendRaw([Data([0x54, 0x53, 0x52, 0x41, 9])], to: nil)
        try federation.pump()
        #expect(errors(in: try a.inbox()).count == 1)
    }
}
