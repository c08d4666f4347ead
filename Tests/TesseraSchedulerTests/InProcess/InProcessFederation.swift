import Foundation
import TesseraNN
import TesseraScheduler
import TesseraTensor
import TesseraTransport
import TesseraWire
import TesseraWorker

/// A scheduler state machine on an in-process hub, with workers played by the test and a
/// manual clock: every step is a message or a clock advance, so nothing sleeps and every run
/// is the same. The machine's actions are carried out as the real driver does (sends go out on
/// the channel; rounds, progress, the end and failures are recorded).
final class InProcessFederation {
    let hub = InProcessHub()
    let clock = ManualClock()
    /// The wall clock: moves with ``clock``, and alone while the scheduler is ``paused(_:)``.
    let wallClock = ManualClock()
    let channel: any MessageChannel
    let machine: SchedulerMachine
    private(set) var rounds: [RoundResult] = []
    private(set) var checkpoints: [Checkpoint] = []
    /// The registration (and joining) progress the machine reported.
    private(set) var registrations: [RegistrationProgress] = []
    /// Each privacy record the machine committed, with how many messages had gone out before it.
    private(set) var privacyRecords: [(metadata: [String: String], sentBefore: Int)] = []
    /// Messages sent so far.
    private(set) var sent = 0
    private(set) var failure: SchedulerError?
    private(set) var finished = false

    static let address = "local://scheduler"

    /// Settings for a small logistic-regression run; tests change what they need.
    static func configuration(workers: Int, rounds: Int = 1) -> RunSettings {
        var settings = RunSettings()
        settings.bind = address
        settings.workers = workers
        settings.registrationTimeout = 30
        settings.rounds = rounds
        settings.deadline = 60
        settings.model = .logisticRegression
        settings.data = "synthetic"
        return settings
    }

    /// The machine bound on a fresh hub, holding claims to `shares` when given; each round's
    /// "test accuracy" is the first weight of the global model, so a test sees what aggregation
    /// produced, and its loss that weight's square in Float32 (3e38 squared overflows to infinity).
    init(_ settings: RunSettings, shares: ShareSizes? = nil, firstRound: Int = 1, sampler: SeededGenerator? = nil,
         strategy: (any AggregationStrategy)? = nil) throws {
        channel = try Transport.inProcess(hub).bind(Self.address)
        let global = try Model(spec: settings.model, seed: settings.seed).parameters
        machine = try SchedulerMachine(settings: settings, runID: "in-process", global: global, strategy: try strategy ?? settings.makeStrategy(),
                                       firstRound: firstRound, sampler: sampler, shares: shares, clock: clock,
                                       wallClock: wallClock)
    }

    /// The stand-in evaluation: the first weight as the accuracy, its square as the loss.
    static func evaluation(of parameters: ParameterSet) -> Evaluation {
        let first = parameters.tensors[0].scalars[0]
        return Evaluation(loss: Double(first * first), accuracy: Double(first), count: 1)
    }

    /// Models the machine asked to have evaluated, not yet answered.
    private var evaluations: [ParameterSet] = []
    /// Whether evaluations wait for ``answerHeldEvaluations()`` (a slow evaluation) instead of
    /// being answered at once.
    var holdsEvaluations = false

    /// How many evaluations are waiting for their answer.
    var heldEvaluations: Int { evaluations.count }

    /// Answers the evaluations held so far, then pumps.
    func answerHeldEvaluations() throws {
        let holding = holdsEvaluations
        holdsEvaluations = false
        defer { holdsEvaluations = holding }
        try answerEvaluations()
        try pump()
    }

    /// A worker process played by the test, connected as `id`.
    func worker(_ id: String) throws -> PlayedWorker {
        PlayedWorker(id: id, channel: try Transport.inProcess(hub).connect(Self.address, identity: id))
    }

    /// Registers and welcomes `ids`, returning the played workers with the first tasks sent.
    func join(_ ids: [String]) throws -> [PlayedWorker] {
        let workers = try ids.map { try worker($0) }
        for worker in workers { try worker.register() }
        try pump()
        // Welcomes go out a few at a time (training.max_concurrent_trainers): answer until none comes.
        var answered = true
        while answered {
            answered = false
            for worker in workers {
                let inbox = try worker.inbox()
                if try !worker.acceptWelcomes(in: inbox).isEmpty { answered = true }
                worker.keep(inbox.filter { if case .welcome = $0.message { false } else { true } })
            }
            try pump()
        }
        return workers
    }

    /// Hands every message waiting for the scheduler to the machine, then ticks it; each
    /// evaluation it asks for is answered at once, as a driver with a fast background would.
    func pump() throws {
        while let delivery = try channel.receive(timeout: 0) {
            try perform(machine.handle(delivery))
            try answerEvaluations()
        }
        try perform(machine.tick())
        try answerEvaluations()
    }

    /// Tells the machine that the process connected as `identity` exited (its launcher saw it
    /// end), and pumps.
    func processExited(_ identity: String) throws {
        try perform(machine.connectionEnded(PeerID(identity)))
        try pump()
    }

    private func answerEvaluations() throws {
        while !holdsEvaluations && !evaluations.isEmpty {
            try perform(machine.evaluated(.success(Self.evaluation(of: evaluations.removeFirst()))))
        }
    }

    /// Moves the clock on by `seconds` and pumps.
    func advance(_ seconds: Double) throws {
        clock.advance(by: seconds)
        wallClock.advance(by: seconds)
        try pump()
    }

    /// The scheduler was paused for `seconds`: the wall clock moves on, the attended one (the
    /// machine's) does not.
    func paused(_ seconds: Double) throws {
        wallClock.advance(by: seconds)
        try pump()
    }

    private func perform(_ actions: [SchedulerAction]) throws {
        for action in actions {
            switch action {
            case let .send(message, peer):
                try channel.send(message, to: peer)
                sent += 1
            case .progress: break
            case let .registered(progress): registrations.append(progress)
            case let .evaluate(parameters, _): evaluations.append(parameters)
            case let .commitPrivacy(metadata): privacyRecords.append((metadata, sentBefore: sent))
            case let .roundCompleted(result, checkpoint):
                rounds.append(result)
                checkpoints.append(checkpoint)
            case .finished: finished = true
            case let .fail(error): failure = error
            }
        }
    }
}

/// One worker, played by hand: registers, reads what the scheduler sent, answers.
final class PlayedWorker {
    let id: String
    let channel: any MessageChannel
    private var nextID: UInt64 = 1000

    init(id: String, channel: any MessageChannel) {
        self.id = id
        self.channel = channel
    }

    func send(_ message: Message, replyTo: UInt64 = 0) throws {
        nextID += 1
        try channel.send(Envelope(id: nextID, replyTo: replyTo, message: message))
    }

    func register(samples: UInt64 = 0) throws {
        try send(.register(workerID: id, sampleCount: samples, labelHistogram: []))
    }

    /// Envelopes read but not yet handed to the test.
    private var kept: [Envelope] = []

    /// Hands `envelopes` to the test with the next ``inbox()``.
    func keep(_ envelopes: [Envelope]) {
        kept += envelopes
    }

    /// Everything the scheduler sent so far (that the test has not seen).
    func inbox() throws -> [Envelope] {
        var envelopes = kept
        kept = []
        while let delivery = try channel.receive(timeout: 0) { envelopes.append(try delivery.envelope.get()) }
        return envelopes
    }

    /// Answers the welcomes in `envelopes` with done; returns the client indices they gave.
    @discardableResult
    func acceptWelcomes(in envelopes: [Envelope]) throws -> [Int] {
        try envelopes.compactMap { envelope in
            guard case let .welcome(_, json) = envelope.message else { return nil }
            try send(.done(objectCount: 0, byteCount: 0), replyTo: envelope.id)
            return try ClientConfiguration(json: json).clientIndex
        }
    }

    /// The train tasks in `envelopes`.
    func tasks(in envelopes: [Envelope]) -> [(id: UInt64, task: TrainTask)] {
        envelopes.compactMap { if case let .trainTask(task) = $0.message { ($0.id, task) } else { nil } }
    }

    /// Answers `task` with the global model plus `shift` in every weight, trained on `samples`,
    /// reporting `loss` as its training loss when given.
    func answer(_ task: (id: UInt64, task: TrainTask), shift: Float, samples: UInt64 = 100, loss: Double? = nil) throws {
        let weights = task.task.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor + shift) }
        try send(.update(TrainUpdate(round: task.task.round, modelVersion: task.task.modelVersion, sampleCount: samples,
                                     isDelta: false, metrics: loss.map { ["loss": $0] } ?? [:], weights: weights)), replyTo: task.id)
    }

    /// Answers `task` with `change` to every weight: as a bfloat16 delta when `asChange`, else as
    /// the model it makes (the global model plus `change` rounded to bfloat16, added in Float).
    func answer(_ task: (id: UInt64, task: TrainTask), change: Float, asChange: Bool, samples: UInt64 = 100) throws {
        let weights = try task.task.weights.map { weight in
            let rounded = (weight.tensor * 0 + change).roundedToBFloat16()
            return NamedTensor(name: weight.name, tensor: asChange ? rounded : try weight.tensor.adding(rounded))
        }
        try send(.update(TrainUpdate(round: task.task.round, modelVersion: task.task.modelVersion, sampleCount: samples,
                                     isDelta: asChange, metrics: [:], weights: weights)), replyTo: task.id)
    }
}

extension InProcessFederation {
    /// Plays one round: each of `workers` answers the first task in its inbox with its weights
    /// moved by 1, then the machine is pumped.
    func answerRound(of workers: [PlayedWorker]) throws {
        for worker in workers { try worker.answer(worker.tasks(in: try worker.inbox())[0], shift: 1) }
        try pump()
    }

    /// Lets played secure `workers` answer until nobody has anything to say, or `rounds` rounds
    /// completed.
    func play(_ workers: [SecureWorker], rounds: Int = .max) throws {
        var answered = true
        while answered && self.rounds.count < rounds {
            try pump()
            answered = try workers.map { try $0.answer() }.contains(true)
        }
        try pump()
    }
}
