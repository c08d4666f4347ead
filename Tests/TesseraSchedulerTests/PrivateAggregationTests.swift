import Foundation
import Testing
import TesseraNN
import TesseraTensor
@testable import TesseraScheduler

/// DP-FedAvg's server side: clipping, the fixed denominator, the noise's scale, adaptive
/// clipping, and a private run's rounds on the state machine.
@Suite("Differential privacy")
struct PrivateAggregationTests {
    static func parameters(_ values: [Float]) throws -> ParameterSet {
        try ParameterSet([(name: "w", tensor: Tensor(values))])
    }

    static func update(_ id: String, _ values: [Float]) throws -> ValidatedUpdate {
        ValidatedUpdate(workerID: id, parameters: try parameters(values), sampleCount: 100)
    }

    /// A private run whose noise swamps the update it hides is told so before it starts, with
    /// the figures; one whose average keeps its signal is not.
    @Test func noiseThatOutweighsTheUpdateIsWarnedOf() throws {
        var settings = RunSettings()
        (settings.workers, settings.fraction, settings.clip, settings.noiseMultiplier) = (10, 0.5, 1, 1)
        let ratio = try #require(settings.noiseToUpdateRatio(parameters: 199_210))
        #expect(abs(ratio - 199_210.0.squareRoot() / 5) < 1e-9)
        let warning = try #require(settings.privacyNoiseWarning(parameters: 199_210))
        #expect(warning.contains("about 89×") && warning.contains("5 clients expected per round") && warning.contains("little or nothing"), "\(warning)")
        (settings.workers, settings.fraction, settings.noiseMultiplier) = (20, 1, 0.2)
        #expect(settings.privacyNoiseWarning(parameters: 7_850) == nil)
        settings.noiseMultiplier = 0
        #expect(settings.noiseToUpdateRatio(parameters: 7_850) == nil)
    }

    @Test func changesAreClippedAndAveragedOverTheExpectedCount() throws {
        var aggregation = try PrivateAggregation(clip: 1, noiseMultiplier: 0, targetQuantile: nil, clipLearningRate: 0.2, countNoise: 1)
        let global = try Self.parameters([1, 1])
        // Changes (3, 4) (norm 5: clipped to (0.6, 0.8)) and (0.3, 0) (kept); 4 clients expected.
        var random = SystemEntropy()
        let (change, round) = try aggregation.aggregate(global: global, updates: [try Self.update("a", [4, 5]), try Self.update("b", [1.3, 1])],
                                                       expectedClients: 4, random: &random)
        let values = change.tensors[0].scalars
        #expect(abs(values[0] - 0.9 / 4) < 1e-6 && abs(values[1] - 0.8 / 4) < 1e-6, "\(values)")
        #expect(round.clipped == 1 && round.updates == 2 && round.noise == 0)
    }

    /// DP as a decorator: any strategy wrapped in PrivateStrategy steps with the clipped
    /// average change (here FedAvgM, whose momentum then carries it), and a change handed to it
    /// (a secure round's) passes through; the wrapped strategy's state is the decorator's.
    @Test func anyStrategyWrappedInPrivateStrategyStepsWithThePrivateChange() throws {
        let mechanism = try PrivateAggregation(clip: 1, noiseMultiplier: 0, targetQuantile: nil, clipLearningRate: 0.2, countNoise: 1)
        var wrapped = PrivateStrategy(try ServerOptimizer.fedAvgM(serverLearningRate: 1, momentum: 0.5), mechanism: mechanism, expectedClients: 4)
        let global = try Self.parameters([1, 1])
        let first = try wrapped.aggregate(global: global, updates: [try Self.update("a", [4, 5]), try Self.update("b", [1.3, 1])])
        // The clipped average change (0.9, 0.8) / 4, stepped with by SGD with momentum.
        #expect(zip(first.tensors[0].scalars, [1 + 0.225, 1 + 0.2]).allSatisfy { abs($0 - Float($1)) < 1e-6 }, "\(first.tensors[0].scalars)")
        #expect(wrapped.lastRound?.clipped == 1 && wrapped.state != nil)
        let second = try wrapped.step(global: first, averageChange: try Self.parameters([0, 0]))
        // No change, but the momentum (0.5 × the last step) carries on.
        #expect(zip(second.tensors[0].scalars, [1.225 + 0.1125, 1.2 + 0.1]).allSatisfy { abs($0 - Float($1)) < 1e-5 }, "\(second.tensors[0].scalars)")
    }

    @Test func theNoiseHasTheMultiplierTimesTheClipAsItsStandardDeviation() throws {
        var aggregation = try PrivateAggregation(clip: 2, noiseMultiplier: 1.5, targetQuantile: nil, clipLearningRate: 0.2, countNoise: 1)
        let global = try Self.parameters([Float](repeating: 0, count: 100_000))
        var random = SystemEntropy()
        let (change, round) = try aggregation.aggregate(global: global, updates: [], expectedClients: 1, random: &random)
        let values = change.tensors[0].scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.03 && abs(deviation - 3) < 0.05, "mean \(mean), deviation \(deviation)")
        #expect(round.noise == 3)
        // Another round's noise is other noise.
        let (again, _) = try aggregation.aggregate(global: global, updates: [], expectedClients: 1, random: &random)
        #expect(again != change)
    }

    @Test func adaptiveClippingTracksTheQuantileAndSplitsTheNoise() throws {
        // Andrew et al., Theorem 1: z_Δ = (z^-2 - (2σ_b)^-2)^(-1/2).
        var aggregation = try PrivateAggregation(clip: 0.1, noiseMultiplier: 0, targetQuantile: 0.5, clipLearningRate: 0.5, countNoise: 0)
        let split = try PrivateAggregation(clip: 1, noiseMultiplier: 0.5, targetQuantile: 0.5, clipLearningRate: 0.2, countNoise: 1)
        #expect(abs(split.updateNoiseMultiplier - 1 / (4 - 0.25).squareRoot()) < 1e-12)
        #expect(throws: SchedulerError.self) {
            try PrivateAggregation(clip: 1, noiseMultiplier: 3, targetQuantile: 0.5, clipLearningRate: 0.2, countNoise: 1)
        }
        // Norms 1, 2, 3, 4: half are within any clip between 2 and 3.
        let global = try Self.parameters([0])
        let updates = try [1, 2, 3, 4].map { try Self.update("w\($0)", [Float($0)]) }
        var random = SystemEntropy()
        for _ in 0..<60 { _ = try aggregation.aggregate(global: global, updates: updates, expectedClients: 4, random: &random) }
        #expect(aggregation.clip >= 1.9 && aggregation.clip <= 3.1, "clip \(aggregation.clip)")
    }

    /// The privacy the accountant charges (noise_multiplier z) is what adaptive clipping spends:
    /// measured from outside, on neighbouring datasets with the same noise, each released
    /// quantity moves by at most its sensitivity, and the two Gaussian mechanisms together have
    /// the effective multiplier (Σ (sensitivity / noise)²)^(-1/2) = z.
    @Test func adaptiveClippingSpendsExactlyTheRequestedNoiseMultiplier() throws {
        let (clip, z, countNoise, rate, expected) = (1.0, 1.0, 1.0, 0.2, 4.0)
        let global = try Self.parameters([0, 0])
        let base = try [("a", [Float(0.3), 0]), ("b", [5, 0]), ("c", [0, 0.2])].map { try Self.update($0.0, $0.1) }
        // A client within the clip, and one beyond it: the count moves most one way or the other.
        var sensitivity = 0.0
        for extra in [try Self.update("d", [0.1, 0.1]), try Self.update("d", [0, 9])] {
            var shares: [Double] = []
            for updates in [base, base + [extra]] {
                var aggregation = try PrivateAggregation(clip: clip, noiseMultiplier: z, targetQuantile: 0.5, clipLearningRate: rate,
                                                         countNoise: countNoise)
                var random = SeededGenerator(seed: 7)
                let (_, round) = try aggregation.aggregate(global: global, updates: updates, expectedClients: expected, random: &random)
                // The released share within the clip, read back from how the clip moved.
                shares.append(0.5 - log(round.nextClip / round.clip) / rate)
            }
            sensitivity = max(sensitivity, abs(shares[1] - shares[0]) * expected)
        }
        #expect(abs(sensitivity - 0.5) < 1e-9, "one client moves the released count by \(sensitivity)")
        let aggregation = try PrivateAggregation(clip: clip, noiseMultiplier: z, targetQuantile: 0.5, clipLearningRate: rate,
                                                 countNoise: countNoise)
        // The update sum: sensitivity clip, noise updateNoiseMultiplier × clip.
        let effective = pow(pow(clip / (aggregation.updateNoiseMultiplier * clip), 2) + pow(sensitivity / countNoise, 2), -0.5)
        #expect(abs(effective - z) < 1e-9, "effective noise multiplier \(effective), charged \(z)")
    }

    /// A resumed run composes onto the RDP its checkpoint recorded: resuming with a hundred
    /// times the noise does not re-price the rounds already released (it reported ε 0.032 where
    /// 3 rounds at z = 1 had spent 6.48), and a private checkpoint is not resumed without privacy.
    @Test func aResumedRunGoesOnFromWhatItSpent() throws {
        var settings = RunSettings()
        (settings.workers, settings.fraction, settings.clip, settings.noiseMultiplier) = (4, 1, 1, 1)
        var budget = PrivacyBudget(settings: settings)
        for _ in 0..<3 { budget.charge(settings) }
        let spent = budget.epsilon(delta: settings.delta)
        var independent = PrivacyAccountant()
        independent.compose(samplingRate: 1, noiseMultiplier: 1, rounds: 3)
        #expect(spent == independent.epsilon(delta: settings.delta).epsilon, "ε \(spent)")
        var louder = settings
        louder.noiseMultiplier = 100
        var resumed = try PrivacyBudget(restoring: budget.metadata, settings: louder, path: "c")
        #expect(resumed.epsilon(delta: settings.delta) == spent && resumed.rounds == 3)
        resumed.charge(louder)
        #expect(resumed.epsilon(delta: settings.delta) >= spent)
        var plain = settings
        plain.clip = 0
        #expect(throws: SchedulerError.self) { try PrivacyBudget(restoring: budget.metadata, settings: plain, path: "c") }
        // An older checkpoint, with only the count of rounds, cannot be priced.
        #expect(throws: SchedulerError.self) { try PrivacyBudget(restoring: ["private_rounds": "3", "clip": "1"], settings: settings, path: "c") }
        #expect(PrivacyAccountant(snapshot: budget.central.snapshot) == budget.central)
        // With secure aggregation and sampling, the scheduler's view is priced at rate 1, and
        // carried through a resume.
        var secure = settings
        (secure.secureAggregation, secure.fraction) = (true, 0.5)
        var sampled = PrivacyBudget(settings: secure)
        for _ in 0..<3 { sampled.charge(secure) }
        var rateOne = PrivacyAccountant()
        rateOne.compose(samplingRate: 1, noiseMultiplier: 1, rounds: 3)
        let againstScheduler = try #require(sampled.epsilonAgainstScheduler(delta: 1e-5))
        #expect(againstScheduler == rateOne.epsilon(delta: 1e-5).epsilon && againstScheduler > sampled.epsilon(delta: 1e-5))
        #expect(try PrivacyBudget(restoring: sampled.metadata, settings: secure, path: "c") == sampled)
    }

    /// Local DP protects any two inputs of a worker: its clipped change moves by up to 2C, so
    /// local noise of 2 × C is a Gaussian mechanism of multiplier 1 (3 rounds: ε 9.01 at δ 1e-5,
    /// as dp-accounting says; it reported 4.01, the multiplier-2 figure).
    @Test func localEpsilonCountsTheSensitivityOfAReplacedInput() throws {
        var settings = RunSettings()
        (settings.workers, settings.clip, settings.noiseMultiplier, settings.localNoise) = (4, 1, 0, 2)
        var budget = PrivacyBudget(settings: settings)
        for _ in 0..<3 { budget.charge(settings) }
        let local = try #require(budget.localEpsilon(delta: 1e-5))
        var independent = PrivacyAccountant()
        independent.compose(samplingRate: 1, noiseMultiplier: 1, rounds: 3)
        #expect(local == independent.epsilon(delta: 1e-5).epsilon && abs(local - 9.01) < 0.01, "local ε \(local)")
    }

    /// `privacy.accountant: pld` prices every path by its privacy loss distribution: the
    /// central rounds as dp-accounting's PLD accountant does (a fixture's case), local noise and
    /// the scheduler's view as the exact Gaussian mechanism; `both` shows RDP's figure beside it;
    /// a resume composes onto the recorded rounds, and a record without them is refused.
    @Test func theLossDistributionAccountantPricesEveryPath() throws {
        var settings = RunSettings()
        (settings.workers, settings.fraction, settings.clip, settings.noiseMultiplier, settings.localNoise) = (10, 0.1, 1, 1, 2)
        (settings.secureAggregation, settings.accountant) = (true, .pld)
        var budget = PrivacyBudget(settings: settings)
        for _ in 0..<10 { budget.charge(settings) }
        // dp-accounting's PLD accountant, q 0.1, σ 1, 10 rounds (Fixtures/pld.json).
        #expect(abs(budget.epsilon(delta: 1e-5) - 2.854518966586566) < 1e-6)
        #expect(budget.rdpEpsilon(delta: 1e-5) == nil)
        let exact = PrivacyAccountant.gaussianEpsilon(delta: 1e-5, noiseMultiplier: 1 / 10.0.squareRoot())
        #expect(budget.epsilonAgainstScheduler(delta: 1e-5) == exact)
        #expect(budget.localEpsilon(delta: 1e-5) == exact, "local noise 2 × C on a change of sensitivity 2C: multiplier 1")
        #expect(try #require(budget.localEpsilon(delta: 1e-5)) < budget.local!.epsilon(delta: 1e-5).epsilon)

        var both = settings
        both.accountant = .both
        let shown = try PrivacyBudget(restoring: budget.metadata, settings: both, path: "c")
        #expect(shown.epsilon(delta: 1e-5) == budget.epsilon(delta: 1e-5))
        #expect(shown.rdpEpsilon(delta: 1e-5) == budget.central.epsilon(delta: 1e-5).epsilon)

        var resumed = try PrivacyBudget(restoring: budget.metadata, settings: settings, path: "c")
        resumed.charge(settings)
        var straight = budget
        straight.charge(settings)
        #expect(resumed.epsilon(delta: 1e-5) == straight.epsilon(delta: 1e-5))
        // A record from before the rounds were listed is priced by RDP only.
        var older = budget.metadata
        for key in ["privacy_rdp", "local_rdp", "scheduler_rdp"] {
            older[key] = older[key].map { $0.split(separator: ";").prefix(2).joined(separator: ";") }
        }
        #expect(throws: SchedulerError.self) { try PrivacyBudget(restoring: older, settings: settings, path: "c") }
        var rdp = settings
        rdp.accountant = .rdp
        #expect(try PrivacyBudget(restoring: older, settings: rdp, path: "c").epsilon(delta: 1e-5) == budget.central.epsilon(delta: 1e-5).epsilon)
    }

    @Test func theSystemsEntropyLooksUniform() {
        var random = SystemEntropy()
        let draws = (0..<200_000).map { _ in Double(random.next() >> 11) / 9_007_199_254_740_992 }
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect(abs(mean - 0.5) < 0.005 && Set(draws.prefix(1000)).count == 1000)
    }

    @Test func privacyNeedsSynchronousRoundsAndNoiseNeedsAClip() throws {
        var settings = InProcessFederation.configuration(workers: 2)
        settings.clip = 1
        settings.mode = .fedbuff
        #expect(throws: SettingError.self) { try settings.validate() }
        settings.mode = .sync
        settings.clip = 0
        settings.noiseMultiplier = 1
        #expect(throws: SettingError.self) { try settings.validate() }
    }

    /// A private run on the state machine: every sampled worker's change is clipped, the
    /// average taken over the expected count, and each round reports the ε the accountant
    /// gives for the rounds so far.
    @Test func aPrivateRunClipsAveragesAndAccountsEveryRound() throws {
        var settings = InProcessFederation.configuration(workers: 4, rounds: 2)
        settings.clip = 0.5
        settings.noiseMultiplier = 0
        settings.fraction = 1
        let federation = try InProcessFederation(settings)
        let workers = try federation.join(["a", "b", "c", "d"])
        let first = Double(try Model(spec: settings.model, seed: settings.seed).parameters.tensors[0].scalars[0])
        for worker in workers {
            for task in worker.tasks(in: try worker.inbox()) { try worker.answer(task, shift: 0.01) }
        }
        try federation.pump()
        let round = try #require(federation.rounds.first)
        // logreg: 7,850 weights each moved 0.01, a change of norm 0.886, clipped to 0.5.
        let norm = 0.01 * Double(7850).squareRoot()
        let accuracy = try #require(round.accuracy)
        #expect(abs(accuracy - (first + 0.01 * 0.5 / norm)) < 1e-6, "\(accuracy) vs \(first + 0.01 * 0.5 / norm)")
        #expect(round.privacy?.clipped == 4 && round.privacy?.clip == 0.5 && round.privacy?.epsilon == .infinity)
        #expect(federation.checkpoints.first?.metadata["private_rounds"] == "1")
    }

    /// An update holding NaNs in a private round cannot be clipped: it is refused when the
    /// round closes, saying why, and left out of the sum and the round's counts; the others are
    /// clipped and averaged over the expected count as ever.
    @Test func aPrivateRoundRefusesAChangeThatIsNotFinite() throws {
        var settings = InProcessFederation.configuration(workers: 4, rounds: 1)
        (settings.clip, settings.noiseMultiplier, settings.fraction) = (0.5, 0, 1)
        let federation = try InProcessFederation(settings)
        let workers = try federation.join(["a", "b", "c", "d"])
        let first = Double(try Model(spec: settings.model, seed: settings.seed).parameters.tensors[0].scalars[0])
        for (worker, shift) in zip(workers, [Float(0.01), 0.01, 0.01, .nan]) {
            for task in worker.tasks(in: try worker.inbox()) { try worker.answer(task, shift: shift) }
        }
        try federation.pump()
        let round = try #require(federation.rounds.first)
        #expect(round.contributors == ["a", "b", "c"] && round.received == 3 && round.privacy?.clipped == 3)
        // Three changes clipped to 0.5, over the 4 expected.
        let norm = 0.01 * Double(7850).squareRoot()
        let accuracy = try #require(round.accuracy)
        #expect(abs(accuracy - (first + 3 * 0.01 * 0.5 / norm / 4)) < 1e-6, "\(accuracy)")
        let errors = try workers[3].inbox().compactMap { if case let .error(_, message) = $0.message { message } else { nil } }
        #expect(errors.contains { $0.contains("its change is not finite") }, "\(errors)")
    }

    /// What a private round spent is committed before its model goes anywhere: before the
    /// held-out evaluation task that carries it, and before the next round's train task (a run
    /// killed after either resumes counting it).
    @Test func theSpendingIsCommittedBeforeTheModelIsReleased() throws {
        var settings = InProcessFederation.configuration(workers: 2, rounds: 2)
        (settings.clip, settings.noiseMultiplier, settings.fraction, settings.heldOut) = (1, 1, 1, 0.1)
        let federation = try InProcessFederation(settings)
        federation.holdsEvaluations = true
        let workers = try federation.join(["a", "b"])
        for worker in workers {
            for task in worker.tasks(in: try worker.inbox()) { try worker.answer(task, shift: 0.01) }
        }
        try federation.pump()
        let record = try #require(federation.privacyRecords.first)
        #expect(record.metadata["private_rounds"] == "1" && federation.privacyRecords.count == 1)
        // Nothing has gone out since: the model waits for its central evaluation.
        let sentBeforeRelease = federation.sent
        #expect(record.sentBefore == sentBeforeRelease)
        try federation.answerHeldEvaluations()
        let evaluations = try workers[0].inbox().filter { if case .evaluateTask = $0.message { true } else { false } }
        #expect(evaluations.count == 1 && federation.sent > sentBeforeRelease)
    }

    /// A private run's metrics name the fields ε does not cover, and under
    /// privacy.private_metrics leave them out of metrics.jsonl and metrics.csv.
    @Test(arguments: [false, true])
    func aPrivateRunsMetricsNameOrWithholdWhatEpsilonDoesNotCover(withholding: Bool) throws {
        var settings = InProcessFederation.configuration(workers: 2, rounds: 1)
        (settings.clip, settings.noiseMultiplier, settings.fraction, settings.privateMetrics) = (1, 1, 1, withholding)
        let federation = try InProcessFederation(settings)
        let workers = try federation.join(["a", "b"])
        for worker in workers {
            for task in worker.tasks(in: try worker.inbox()) { try worker.answer(task, shift: 0.01, loss: 0.5) }
        }
        try federation.pump()
        let round = try #require(federation.rounds.first)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-private-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try MetricsLog(directory: directory).append(round)
        let row = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("metrics.jsonl"))) as? [String: Any])
        let csv = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")[1]
        if withholding {
            #expect(row["withheld"] as? [String] == RoundResult.fieldsOutsideEpsilon && row["outsideEpsilon"] == nil)
            for field in ["sampled", "received", "late", "contributors", "trainLoss"] { #expect(row[field] == nil, "\(field) kept") }
            #expect((row["privacy"] as? [String: Any])?["clipped"] == nil && (row["privacy"] as? [String: Any])?["epsilon"] != nil)
            // train_loss and contributors, the 16th and 17th columns, are empty too.
            let cells = csv.split(separator: ",", omittingEmptySubsequences: false)
            #expect(csv.hasPrefix("1,,,,true,") && cells.count == 18 && cells[15].isEmpty && cells[16].isEmpty, "\(csv)")
        } else {
            #expect(row["outsideEpsilon"] as? [String] == RoundResult.fieldsOutsideEpsilon && row["withheld"] == nil)
            #expect(row["contributors"] as? [String] == ["a", "b"] && row["trainLoss"] as? Double == 0.5)
        }
    }

    @Test func epsilonGrowsAsTheAccountantSays() throws {
        var settings = InProcessFederation.configuration(workers: 3, rounds: 2)
        settings.clip = 1
        settings.noiseMultiplier = 2
        settings.fraction = 1
        let federation = try InProcessFederation(settings)
        let workers = try federation.join(["a", "b", "c"])
        for _ in 0..<2 {
            for worker in workers {
                for task in worker.tasks(in: try worker.inbox()) { try worker.answer(task, shift: 0.001) }
            }
            try federation.pump()
        }
        var expected = PrivacyAccountant()
        let epsilons = try (1...2).map { rounds in
            expected = PrivacyAccountant()
            expected.compose(samplingRate: 1, noiseMultiplier: 2, rounds: rounds)
            return try #require(federation.rounds.count >= rounds ? federation.rounds[rounds - 1].privacy?.epsilon : nil)
                - expected.epsilon(delta: 1e-5).epsilon
        }
        #expect(federation.rounds.count == 2 && epsilons.allSatisfy { abs($0) < 1e-12 }, "\(epsilons)")
    }
}
