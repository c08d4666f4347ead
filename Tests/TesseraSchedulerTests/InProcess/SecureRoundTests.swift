import Foundation
import Testing
import TesseraNN
@testable import TesseraScheduler
import TesseraSecureAggregation
import TesseraTensor
import TesseraWire

/// A worker played by the test that takes part in secure rounds as a real one does: it answers
/// its train task with keys, then each step, its input the shifted global model times its
/// sample count. It can stop answering at a chosen step (a worker that drops).
final class SecureWorker {
    let played: PlayedWorker
    let shift: Float
    let samples: UInt64
    /// The step this worker stops at (it never answers it), if any.
    var dropsAt: SecureAggregationStep.Kind?
    /// Whether it sends the others shares that do not open (well-formed, wrong).
    var garblesShares = false
    /// The samples it claims beside its masked input, and weighs its input by, instead of its
    /// own (a liar).
    var claimsSamples: UInt64?
    private var client: SecureAggregationClient?
    private var input: [UInt64] = []
    private var weight = 1.0
    /// The error replies it was sent.
    private(set) var errors: [String] = []
    /// The hyperparameters of the train tasks it was sent.
    private(set) var tasks: [Hyperparameters] = []

    init(_ played: PlayedWorker, shift: Float, samples: UInt64) {
        (self.played, self.shift, self.samples) = (played, shift, samples)
    }

    /// Answers everything the scheduler sent; returns whether it answered anything.
    @discardableResult
    func answer() throws -> Bool {
        var answered = false
        for envelope in try played.inbox() {
            switch envelope.message {
            case let .trainTask(task):
                let hyperparameters = try JSONDecoder().decode(Hyperparameters.self, from: Data(task.hyperparameters.utf8))
                let client = SecureAggregationClient(id: played.id, round: task.round, threshold: hyperparameters.secureThreshold)
                let values = task.weights.flatMap { ($0.tensor + shift).scalars }
                // A clipped update counts once, as a real worker's does.
                weight = Double(claimsSamples ?? (hyperparameters.localClip > 0 ? 1 : samples))
                input = try FixedPoint.updates.encode(values, times: weight)
                tasks.append(hyperparameters)
                self.client = client
                try reply(.keys, json(client.advertise()), to: envelope, round: task.round)
            case let .error(_, text):
                errors.append(text)
                continue
            case let .secureAggregation(step) where step.kind == dropsAt:
                played.keep([envelope])  // unanswered, for the test to see
                continue
            case let .secureAggregation(step):
                guard var client else { continue }
                protocolBytes[step.kind, default: 0] += step.body.utf8.count
                let started = Date()
                defer { protocolSeconds += Date().timeIntervalSince(started) }
                switch step.kind {
                case .roster:
                    var shares = try client.shareKeys(roster: decode(step.body), degree: tasks.last?.secureNeighbours ?? 0)
                    if garblesShares { for index in shares.indices { shares[index].ciphertext[0] ^= 0xFF } }
                    try reply(.shares, json(shares), to: envelope, round: step.round)
                case .relayedShares:
                    client.receive(try decode(step.body))
                    try played.send(.secureAggregation(SecureAggregationStep(round: step.round, kind: .maskedInput,
                                                                             body: json(MaskedInputNote(weight: weight, maskedWith: client.maskedWith)),
                                                                             vector: try client.mask(input))),
                                    replyTo: envelope.id)
                case .survivors:
                    try reply(.unmasking, json(try client.unmask(survivors: decode(step.body))), to: envelope, round: step.round)
                default:
                    continue
                }
                self.client = client
            default:
                continue
            }
            answered = true
        }
        return answered
    }

    /// Bytes of the protocol's steps it sent and was sent (bodies, and vectors but for its masked
    /// input), and the seconds it spent answering them.
    private(set) var protocolBytes: [SecureAggregationStep.Kind: Int] = [:]
    private(set) var protocolSeconds = 0.0

    private func reply(_ kind: SecureAggregationStep.Kind, _ body: String, to envelope: Envelope, round: UInt64) throws {
        protocolBytes[kind, default: 0] += body.utf8.count
        try played.send(.secureAggregation(SecureAggregationStep(round: round, kind: kind, body: body)), replyTo: envelope.id)
    }

    private func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private func decode<T: Decodable>(_ body: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.utf8))
    }
}

/// Secure rounds in the scheduler's state machine: the sum it unmasks is plain FedAvg's within
/// the fixed-point precision, workers that drop after sharing their keys or after masking
/// cost nothing but their part, too few end the round without a sum, and an update sent in
/// the clear, a lying input or garbage is refused.
@Suite("Secure rounds")
struct SecureRoundTests {
    /// Four workers (shifts 1...4, samples 100...400) joined to a secure run; the first weight
    /// of the global model at the start.
    func federation(rounds: Int = 1, clip: Double = 0, noise: Double = 0,
                    stepTimeout: Double = 60) throws -> (InProcessFederation, [SecureWorker], Float) {
        var settings = InProcessFederation.configuration(workers: 4, rounds: rounds)
        settings.secureAggregation = true
        settings.secureStepTimeout = stepTimeout
        settings.deadline = 600
        (settings.clip, settings.noiseMultiplier) = (clip, noise)
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [100, 200, 300, 400], heldOut: [0, 0, 0, 0]))
        let ids = ["a", "b", "c", "d"]
        let workers = try federation.join(ids).enumerated().map { index, played in
            SecureWorker(played, shift: Float(index + 1), samples: UInt64(100 * (index + 1)))
        }
        return (federation, workers, federation.machine.global.tensors[0].scalars[0])
    }

    /// Lets 11 s pass (past the heartbeat timeout) in steps of one, the workers that do not drop
    /// heartbeating as real ones do.
    func waitOutTheSilent(_ federation: InProcessFederation, _ workers: [SecureWorker]) throws {
        for _ in 0..<11 {
            for worker in workers where worker.dropsAt == nil { try worker.played.send(.heartbeat) }
            try federation.advance(1)
        }
    }

    /// Lets the workers answer until nobody has anything to say, or `rounds` rounds completed.
    func play(_ federation: InProcessFederation, _ workers: [SecureWorker], rounds: Int = .max) throws {
        try federation.play(workers, rounds: rounds)
    }

    @Test func theUnmaskedSumIsPlainFedAvgWithinTheFixedPointPrecision() throws {
        let (federation, workers, start) = try federation()
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.received == 4 && round.contributors == ["a", "b", "c", "d"])
        #expect(round.secure.map { [$0.threshold, $0.keys, $0.shared, $0.masked, $0.unmasked] } == [3, 4, 4, 4, 4] && round.secure?.failure == nil)
        // (100 · 1 + 200 · 2 + 300 · 3 + 400 · 4) / 1000 = 3 added to every weight.
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 3)) < 1e-6)
        #expect(federation.finished)
    }

    @Test func aWorkerThatDropsAfterSharingItsKeysIsLeftOutOfTheSum() throws {
        let (federation, workers, start) = try federation()
        workers[3].dropsAt = .relayedShares
        try play(federation, workers)
        #expect(federation.rounds.isEmpty, "the round waits for the silent worker")
        try waitOutTheSilent(federation, workers)
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.received == 3 && round.contributors == ["a", "b", "c"])
        #expect(round.secure?.masked == 3 && round.secure?.shared == 4 && round.secure?.unmasked == 3)
        // (100 · 1 + 200 · 2 + 300 · 3) / 600: its pairwise masks were rebuilt and removed.
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1400 / 600)) < 1e-6)
    }

    /// A participant whose shares do not open is left out by the others and by the scheduler:
    /// the round completes with the rest (it ended with nothing: "no usable update").
    @Test func aWorkerThatSendsBadSharesIsLeftOutAndTheRoundCompletes() throws {
        let (federation, workers, start) = try federation()
        workers[3].garblesShares = true
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.received == 3 && round.contributors == ["a", "b", "c"], "\(round)")
        #expect(round.secure?.masked == 4 && round.secure?.unmasked == 3 && round.secure?.failure == nil)
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1400 / 600)) < 1e-6)
    }

    /// A participant that heartbeats but never answers a step holds that step up for the step's
    /// timeout, not the round's deadline (600 s here).
    @Test func aHeartbeatingParticipantThatDoesNotAnswerIsLeftOutAtTheStepTimeout() throws {
        let (federation, workers, start) = try federation(stepTimeout: 5)
        workers[3].dropsAt = .relayedShares
        try play(federation, workers)
        #expect(federation.rounds.isEmpty)
        for _ in 0..<6 {
            for worker in workers { try worker.played.send(.heartbeat) }
            try federation.advance(1)
        }
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.contributors == ["a", "b", "c"] && round.secure?.masked == 3)
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1400 / 600)) < 1e-6)
    }

    /// Three of ten participants hostile at once (one sends shares that do not open, one
    /// heartbeats but never answers a step, one weighs its input by ten times the samples its
    /// share holds), and one drops after its masked input: the round completes within the step
    /// timeouts with the others and the one that dropped late, every time.
    @Test(arguments: 0..<3)
    func threeHostileOfTenLeaveTheRoundToTheOthers(attempt: Int) throws {
        var settings = InProcessFederation.configuration(workers: 10, rounds: 1)
        (settings.secureAggregation, settings.secureStepTimeout, settings.deadline) = (true, 5, 600)
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [Int](repeating: 100, count: 10), heldOut: [Int](repeating: 0, count: 10)))
        let ids = (0..<10).map { "w\($0)" }
        let workers = try federation.join(ids).map { SecureWorker($0, shift: 1, samples: 100) }
        let start = federation.machine.global.tensors[0].scalars[0]
        let hostile = Array([1, 4, 8].shuffled().prefix(3))
        workers[hostile[0]].garblesShares = true
        workers[hostile[1]].dropsAt = .relayedShares
        workers[hostile[2]].claimsSamples = 1_000
        workers[6].dropsAt = .survivors
        try play(federation, workers)
        for _ in 0..<12 where federation.rounds.isEmpty {
            for worker in workers { try worker.played.send(.heartbeat) }
            try federation.advance(1)
            try play(federation, workers)
        }
        let round = try #require(federation.rounds.first)
        let summed = ids.filter { !hostile.map { ids[$0] }.contains($0) }
        #expect(round.aggregated && round.contributors == summed && round.secure?.failure == nil, "\(round)")
        #expect(workers[hostile[2]].errors.contains { $0.contains("weighs 1000.0") }, "\(workers[hostile[2]].errors)")
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1)) < 1e-6)
    }

    /// SecAgg+ through the scheduler: ten workers, each sharing with 4 neighbours, one of them
    /// sending bad shares; the round's model is the others' FedAvg.
    @Test func secAggPlusRoundsAggregateWithNeighboursOnly() throws {
        var settings = InProcessFederation.configuration(workers: 10, rounds: 1)
        (settings.secureAggregation, settings.secureNeighbours) = (true, 4)
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [Int](repeating: 100, count: 10), heldOut: [Int](repeating: 0, count: 10)))
        let ids = (0..<10).map { "w\($0)" }
        let workers = try federation.join(ids).enumerated().map { SecureWorker($1, shift: Float($0), samples: 100) }
        let start = federation.machine.global.tensors[0].scalars[0]
        workers[5].garblesShares = true
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(workers[0].tasks.first?.secureNeighbours == 4)
        #expect(round.aggregated && round.contributors == ids.filter { $0 != "w5" }, "\(round)")
        // Shifts 0...9 without 5: their mean, 40 / 9.
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 40.0 / 9)) < 1e-5)
    }

    @Test func aWorkerThatDropsAfterMaskingStillCounts() throws {
        let (federation, workers, start) = try federation()
        workers[0].dropsAt = .survivors
        try play(federation, workers)
        try waitOutTheSilent(federation, workers)
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.received == 4 && round.secure?.unmasked == 3)
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 3)) < 1e-6)
    }

    @Test func tooFewLeftEndsTheRoundWithoutASumAndTheRunGoesOn() throws {
        let (federation, workers, _) = try federation(rounds: 3)
        try play(federation, workers, rounds: 1)
        let before = federation.machine.global
        workers[2].dropsAt = .relayedShares
        workers[3].dropsAt = .relayedShares
        try play(federation, workers, rounds: 2)
        try waitOutTheSilent(federation, workers)
        try play(federation, workers, rounds: 2)
        let second = try #require(federation.rounds.last)
        #expect(federation.rounds.count == 2 && !second.aggregated && second.received == 0)
        #expect(second.secure?.failure?.contains("fewer than the threshold 3") == true, "\(second.secure?.failure ?? "no failure")")
        #expect(federation.machine.global == before)
        // Round 3 samples the two left, whose secrets take both (never fewer than 2).
        try play(federation, workers)
        #expect(federation.rounds.count == 3 && federation.finished)
        #expect(federation.rounds.last.map { $0.aggregated && $0.contributors == ["a", "b"] && $0.secure?.threshold == 2 } == true)
    }

    @Test func anUpdateInTheClearALyingWeightAndGarbageAreRefused() throws {
        let (federation, workers, start) = try federation()
        // a sends its update in the clear: refused, and the round goes on without it.
        let task = try #require(workers[0].played.tasks(in: try workers[0].played.inbox()).first)
        try workers[0].played.answer(task, shift: 1)
        try play(federation, workers)
        #expect(workers[0].errors.contains { $0.contains("in the clear") }, "\(workers[0].errors)")
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.contributors == ["b", "c", "d"] && round.secure?.keys == 3)
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 2900 / 900)) < 1e-6)
    }

    /// A worker claiming a million samples beside its masked input (its share holds 400) is
    /// left out as one that dropped, and the sum is the others' FedAvg; in a private round an
    /// input must weigh 1.
    @Test func aWorkerClaimingMoreThanItsShareIsLeftOutOfTheSum() throws {
        let (federation, workers, start) = try federation()
        workers[3].claimsSamples = 1_000_000
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.contributors == ["a", "b", "c"] && round.secure?.failure == nil, "\(round)")
        #expect(workers[3].errors.contains { $0.contains("up to 400") }, "\(workers[3].errors)")
        // (100 · 1 + 200 · 2 + 300 · 3) / 600
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 1400 / 600)) < 1e-6)

        let (privateRun, privateWorkers, _) = try self.federation(clip: 100)
        privateWorkers[0].claimsSamples = 2
        try play(privateRun, privateWorkers)
        #expect(privateWorkers[0].errors.contains { $0.contains("inputs weigh 1") }, "\(privateWorkers[0].errors)")
        #expect(privateRun.rounds.first?.contributors == ["b", "c", "d"])
    }

    @Test func aStepThatIsNotItsJSONIsRefusedAndTheOthersGoOn() throws {
        let (federation, workers, start) = try federation()
        workers[1].dropsAt = .roster
        try play(federation, workers)
        let roster = try #require(workers[1].played.inbox().first { if case .secureAggregation = $0.message { true } else { false } })
        try workers[1].played.send(.secureAggregation(SecureAggregationStep(round: 1, kind: .shares, body: "{not json")), replyTo: roster.id)
        try play(federation, workers)
        #expect(workers[1].errors.contains { $0.contains("not the JSON") }, "\(workers[1].errors)")
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.contributors == ["a", "c", "d"] && round.secure?.shared == 3)
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 2600 / 800)) < 1e-6)
    }

    /// DP-FedAvg on a secure sum: the workers clip (and noise) their changes, each counts once,
    /// and the scheduler divides the sum of changes by the expected clients.
    /// A strategy that records the average changes it is given, and refuses to be handed updates.
    struct RecordingStrategy: AggregationStrategy {
        var changes: [ParameterSet] = []
        mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
            changes.append(averageChange)
            var plain = FedAvg()
            return try plain.step(global: global, averageChange: averageChange)
        }
        mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
            throw SchedulerError.invalidConfiguration("a secure round handed the strategy \(updates.map(\.workerID))")
        }
        var state: OptimizerState? { nil }
        mutating func restore(_ state: OptimizerState?) throws {}
    }

    /// A strategy (the user's own, say) gets a secure round's average change, not a made-up
    /// update standing for the sum.
    @Test func aStrategyStepsWithTheSecureSumsAverageChange() throws {
        var settings = InProcessFederation.configuration(workers: 4, rounds: 1)
        (settings.secureAggregation, settings.deadline) = (true, 600)
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [100, 200, 300, 400], heldOut: [0, 0, 0, 0]),
                                                 strategy: RecordingStrategy())
        let workers = try federation.join(["a", "b", "c", "d"]).enumerated().map { SecureWorker($1, shift: Float($0 + 1), samples: UInt64(100 * ($0 + 1))) }
        try play(federation, workers)
        let strategy = try #require(federation.machine.strategy as? RecordingStrategy)
        let change = try #require(strategy.changes.first)
        #expect(strategy.changes.count == 1 && federation.rounds.first?.aggregated == true)
        // (100 · 1 + 200 · 2 + 300 · 3 + 400 · 4) / 1000 on every weight.
        #expect(change.flattened().allSatisfy { abs($0 - 3) < 1e-5 }, "\(change.flattened().prefix(4))")
    }

    @Test func aPrivateSecureRoundDividesTheSumOfChangesByTheExpectedClients() throws {
        let (federation, workers, start) = try federation(clip: 100)
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.received == 4)
        #expect(round.privacy?.clipped == nil && round.privacy?.clip == 100 && round.privacy?.epsilon == .infinity)
        // (1 + 2 + 3 + 4) / 4 expected clients, whatever the samples.
        #expect(abs(federation.machine.global.tensors[0].scalars[0] - (start + 2.5)) < 1e-5)
        #expect(workers[0].tasks.first.map { $0.localClip == 100 && $0.localNoise == 0 && $0.secureThreshold == 3 } == true)
    }

    /// With noise, each worker adds z / √threshold clips: any sum of at least the threshold
    /// holds z clips of noise, and ε is reported.
    @Test func aPrivateSecureRoundSplitsTheNoiseAmongTheWorkers() throws {
        let (federation, workers, _) = try federation(clip: 1, noise: 1.5)
        try play(federation, workers)
        let round = try #require(federation.rounds.first)
        let task = try #require(workers[0].tasks.first)
        #expect(abs(Double(task.localNoise) - 1.5 / 3.0.squareRoot()) < 1e-6 && task.localClip == 1)
        #expect(round.aggregated && (round.privacy?.epsilon ?? .infinity) < 100)
        #expect(abs((round.privacy?.noise ?? 0) - 1.5 * (4.0 / 3).squareRoot()) < 1e-9)
        // Against the scheduler, which sees who took part, the round is priced at rate 1.
        var independent = PrivacyAccountant()
        independent.compose(samplingRate: 1, noiseMultiplier: 1.5)
        #expect(round.privacy?.epsilonAgainstScheduler == independent.epsilon(delta: round.privacy?.delta ?? 0).epsilon)
        #expect(round.privacy?.summary.contains("against the scheduler") == true)
    }

    /// `training.secure_aggregation: secagg+` picks 2⌈log2 n⌉ neighbours a round (what the
    /// workers' tasks say), `true` is secagg, an explicit count wins, and others are refused.
    @Test func secAggPlusByNameChoosesLogarithmicNeighbours() throws {
        var settings = RunSettings()
        try CommandLineSettings.apply(["--secure-aggregation", "secagg+"], table: RunSettings.table, to: &settings)
        #expect(settings.secureAggregation && settings.secureProtocol == .secaggPlus)
        #expect([10, 100, 1000, 3, 2].map { settings.secureDegree(participants: $0) } == [8, 14, 20, 2, 0])
        settings.secureNeighbours = 5
        #expect(settings.secureDegree(participants: 1000) == 5)
        try CommandLineSettings.apply(["--secure-aggregation"], table: RunSettings.table, to: &settings)
        #expect(settings.secureProtocol == .secaggPlus, "an explicit neighbour count is SecAgg+")
        settings.secureNeighbours = 0
        try CommandLineSettings.apply(["--secure-aggregation", "true"], table: RunSettings.table, to: &settings)
        #expect(settings.secureProtocol == .secagg && settings.secureDegree(participants: 100) == 0)
        #expect(throws: SettingError.self) { try CommandLineSettings.apply(["--secure-aggregation", "secagg++"], table: RunSettings.table, to: &settings) }

        var run = InProcessFederation.configuration(workers: 10, rounds: 1)
        run.secureProtocol = .secaggPlus
        let federation = try InProcessFederation(run, shares: ShareSizes(training: [Int](repeating: 100, count: 10), heldOut: [Int](repeating: 0, count: 10)))
        let workers = try federation.join((0..<10).map { "w\($0)" }).map { SecureWorker($0, shift: 1, samples: 100) }
        try play(federation, workers)
        #expect(workers[0].tasks.first?.secureNeighbours == 8 && federation.rounds.first?.aggregated == true)
    }

    @Test func secureSettingsThatDoNotFitAreRefused() {
        func refusal(_ change: (inout RunSettings) -> Void) -> String? {
            var settings = InProcessFederation.configuration(workers: 4)
            settings.secureAggregation = true
            change(&settings)
            do { try settings.validate() } catch { return "\(error)" }
            return nil
        }
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.mode = .fedbuff }?.contains("training.mode sync") == true)
        #expect(refusal { $0.workers = 1; $0.quorum = 1 }?.contains("at least 2 workers") == true)
        #expect(refusal { $0.fraction = 0.25 }?.contains("training.fraction") == true)
        #expect(refusal { $0.clip = 1; $0.targetQuantile = 0.5 }?.contains("privacy.target_quantile") == true)
        #expect(refusal { $0.clip = 1; $0.localNoise = 1 }?.contains("privacy.local_noise") == true)
        var settings = RunSettings()
        #expect(settings.secureThreshold(participants: 10) == 6 && settings.secureThreshold(participants: 2) == 2
                && settings.secureThreshold(participants: 1) == 2)
        settings.secureThreshold = 0.6
        #expect(settings.secureThreshold(participants: 10) == 7)
        // A threshold under a majority is refused where it is read.
        #expect { try CommandLineSettings.apply(["--secure-threshold", "0.2"], table: RunSettings.table, to: &settings) } throws: {
            "\($0)".contains("a number in [0.5, 1)")
        }
    }
}
