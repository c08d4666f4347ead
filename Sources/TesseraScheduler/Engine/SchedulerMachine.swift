import Foundation
import Logging
import TesseraNN
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

/// Synchronous FedAvg as a state machine: events in (a message from a peer, time passing on the
/// injected clock), actions out (send, round completed, finished, fail). No sockets, no files,
/// no wall clock, so tests drive it message by message with a ``/TesseraTransport/ManualClock``; ``FederatedScheduler``
/// runs it over a channel.
///
/// The run: wait until the expected workers registered; welcome them a few at a time (each
/// loads its data and answers before the next is welcomed, so their memory peaks do not add
/// up), each with its client index by sorted id; then for every round sample a fraction of the
/// active workers, send them one encoded train task (at most `maxConcurrentTrainers` at a time),
/// collect updates until all answered or failed or the deadline passed, aggregate in worker-id
/// order when a quorum arrived, have the driver evaluate the model on the test set (an
/// ``SchedulerAction/evaluate(_:round:)`` answered by ``evaluated(_:)``, so that messages and
/// heartbeats keep flowing meanwhile), evaluate it on the workers' held-out data, and report the
/// round. A worker silent for the heartbeat timeout, even mid-task, is lost and
/// the next one starts; one that registers again is welcomed again; garbage, error replies and
/// unusable updates count as that worker failing the task. Runs are reproducible from the seed.
public final class SchedulerMachine {
    /// The run's settings.
    public let settings: RunSettings
    /// The run's name, as workers are told in their welcome.
    public let runID: String
    /// The workers known, and their state.
    public internal(set) var membership = Membership()
    /// The results of the rounds completed so far.
    public internal(set) var results: [RoundResult] = []
    /// The current global model.
    public internal(set) var global: ParameterSet

    let clock: any MonotonicClock
    /// The clock reports and `training.max_seconds` read: time passes on it while the scheduler
    /// is paused (``clock`` may skip that time, so that silence is not blamed on workers).
    let wallClock: any MonotonicClock
    let codec: WireCodec
    let tracer: TraceWriter?
    /// The run's strategy; wrapped in ``LocalNormalizationStrategy`` when clients keep their
    /// batch normalization, and then in ``PrivateStrategy`` in a private run.
    var strategy: any AggregationStrategy
    /// Chooses each synchronous round's workers (without privacy).
    var clientSampler: any ClientSampler
    var generator: SeededGenerator
    /// Whether `generator` was restored from a checkpoint (else a resumed run replays its draws).
    let restoredSampler: Bool
    /// DP-FedAvg's mechanism, when the run is private (the strategy's decorator holds it).
    var privacy: PrivateAggregation? { (strategy as? PrivateStrategy)?.mechanism }
    /// The privacy a private run spent.
    var budget: PrivacyBudget
    /// Why updates were refused since the round (or, asynchronously, the run) began, a few at
    /// most: a run that ends for want of updates says why they were not used.
    var refusals: [String] = []
    /// The bound on each update's change (``ChangeBound``), with the norms it remembers.
    var changeBound: ChangeBound
    /// The secure source of a private run's sampling (never the seeded generator: the seed is
    /// in the topology, and a sample drawn from it could be replayed; the noise's is
    /// ``PrivateStrategy``'s own).
    var entropy = SystemEntropy()
    let firstRound: Int
    /// When the first round (or step) started on the wall clock: `training.max_seconds` counts
    /// from here.
    var trainingStart: Double?
    /// When each connection (by its identity's bytes) was last sent anything: one sent
    /// something within the heartbeat interval needs no heartbeat.
    var lastSent: [Data: Double] = [:]
    /// The last hyperparameters written as JSON, and their text: most runs send the same ones
    /// every round, and encoding them each time cost as much as sampling the round.
    private var hyperparametersWritten: (values: Hyperparameters, text: String)?
    let shares: ShareSizes?
    /// The most samples any worker may register or claim (``sampleCap(settings:shares:)``),
    /// found once: the largest of a million shares is not looked for on every update.
    let sampleCap: UInt64?
    /// The simulated devices of a run on virtual time (nil on the wall clock).
    let devices: VirtualDevices?
    /// Virtual seconds since the first round began (on virtual time; a resumed run goes on
    /// from its checkpoint's).
    public internal(set) var virtualTime: Double
    /// The welcomes' configuration texts.
    let welcomeText: WelcomeText
    /// The model's declaration as JSON, for every checkpoint's metadata (written once: the model
    /// does not change during a run).
    let architecture: String
    /// When the machine started waiting for registrations.
    let registrationStart: Double
    var phase: Phase
    let logger = Logger(label: "tessera.scheduler")
    private var nextID: UInt64 = 1

    /// Where the run stands.
    enum Phase {
        case registering(deadline: Double)
        case joining(JoinProgress)
        case training(Round)
        /// A secure round's steps after its train task.
        case securing(Round)
        /// Waiting for the driver's evaluation of the round's model on the test set.
        case centralEvaluation(Round)
        case evaluating(Round, TaskGather<EvaluationResult>)
        case asynchronous(AsyncRun)
        case ended
    }

    /// A sampled worker's answer to its train task: its update, or in a secure round its keys
    /// (the update stays on the worker, which sends it only masked).
    enum TrainAnswer {
        /// The update, and the id of the message that brought it (a refusal answers it).
        case update(ValidatedUpdate, messageID: UInt64)
        case keys
    }

    /// A round in progress.
    struct Round {
        let number: Int
        let start: Double
        /// When it started on the wall clock (its reported seconds count from here).
        let wallStart: Double
        var gather: TaskGather<TrainAnswer>
        /// A secure round's protocol (nil: updates come in the clear).
        var secure: SecureAggregationRound?
        /// On virtual time: each sampled worker's virtual seconds for its task.
        var virtualSeconds: [String: Double] = [:]
        /// Filled in when training closes.
        var received = 0
        var contributors: [String] = []
        var trainLoss: Double?
        var aggregated = false
        /// The test set's evaluation of its model; nil until it comes, and in a round not
        /// evaluated (`training.evaluate_every`).
        var central: Evaluation?
        /// When its evaluation started, on the wall clock; nil in a round not evaluated.
        var evaluationStart: Double?
        var privacy: RoundResult.PrivacySummary?
        var secureSummary: RoundResult.SecureSummary?
        /// Wall seconds the close took to screen and sum the updates (or unmask the secure sum)
        /// and step the model.
        var aggregationSeconds: Double?
    }

    /// A machine for run `runID` with `settings`, starting at round `firstRound` from `global` (a
    /// fresh model, or a checkpoint's with `strategy`, the `sampler`'s draws and a private run's
    /// rounds released and clip restored), holding sample-count claims to `shares` when known.
    /// The registration timeout starts now.
    ///
    /// - Throws: ``SettingError`` for settings that do not fit together.
    public init(settings: RunSettings, runID: String, global: ParameterSet, strategy: any AggregationStrategy,
                clientSampler: any ClientSampler = UniformSampler(), firstRound: Int = 1, sampler: SeededGenerator? = nil, privateState: (budget: PrivacyBudget, clip: Double)? = nil,
                virtualTime: Double = 0,
                shares: ShareSizes? = nil, clock: any MonotonicClock, wallClock: (any MonotonicClock)? = nil,
                codec: WireCodec = WireCodec(),
                tracer: TraceWriter? = nil) throws {
        try settings.validate()
        self.settings = settings
        self.runID = runID
        self.global = global
        // FedBN's entries are left out of the step; privacy wraps that, so that noise is too.
        let kept = settings.localNormalization.names(in: settings.model)
        let strategy = kept.isEmpty ? strategy : LocalNormalizationStrategy(strategy, keeping: kept)
        if var mechanism = try settings.makePrivacy() {
            if let privateState { mechanism.restore(clip: privateState.clip) }
            self.strategy = PrivateStrategy(strategy, mechanism: mechanism, expectedClients: settings.expectedClients)
        } else {
            self.strategy = strategy
        }
        self.clientSampler = clientSampler
        self.firstRound = firstRound
        self.shares = shares
        sampleCap = Self.sampleCap(settings: settings, shares: shares)
        self.clock = clock
        self.wallClock = wallClock ?? clock
        self.codec = codec
        self.tracer = tracer
        generator = sampler ?? SeededGenerator(seed: settings.seed)
        restoredSampler = sampler != nil
        changeBound = ChangeBound(ratio: settings.maxChangeRatio)
        budget = privateState?.budget ?? PrivacyBudget(settings: settings)
        registrationStart = clock.now
        welcomeText = WelcomeText(settings)
        architecture = ModelDeclaration.json(for: settings.model)
        devices = try settings.makeVirtualDevices()
        self.virtualTime = virtualTime
        phase = .registering(deadline: clock.now + settings.registrationTimeout)
    }

    /// Whether `training.max_seconds` have passed since the first round (or step) began.
    var timeIsUp: Bool {
        guard settings.maxSeconds > 0, let trainingStart else { return false }
        return wallClock.now - trainingStart >= settings.maxSeconds
    }

    /// Whether the run finished or failed.
    public var hasEnded: Bool {
        if case .ended = phase { return true }
        return false
    }

    /// What the run is doing, as a phrase ("waiting for workers", "in round 3").
    public var activity: String {
        switch phase {
        case .registering: "while waiting for workers"
        case .joining: "while workers were joining"
        case let .training(round): "during round \(round.number)"
        case let .securing(round): "during round \(round.number)'s secure aggregation"
        case let .centralEvaluation(round): "while round \(round.number)'s model was evaluated"
        case let .evaluating(round, _): "during round \(round.number)'s federated evaluation"
        case let .asynchronous(run): "at server step \(run.version)"
        case .ended: "after the run"
        }
    }

    /// The earliest time at which ``tick()`` has something to do (a deadline, a worker whose
    /// silence would count), or nil when only a message can move the run on.
    public var nextDeadline: Double? {
        let timeout = settings.heartbeatTimeout
        func silence<Value>(_ gather: TaskGather<Value>) -> Double {
            gather.pending.map { max(gather.sentAt[$0] ?? 0, membership.lastSeen($0) ?? 0) + timeout }.min() ?? .infinity
        }
        switch phase {
        case let .registering(deadline): return deadline
        case let .joining(progress):
            // A welcomed worker silent for the heartbeat timeout is given up then.
            let silent = progress.busy.values.map { (membership.lastSeen($0.worker) ?? 0) + timeout }.min() ?? .infinity
            return min(progress.deadline, silent)
        case let .training(round): return min(round.gather.deadline, silence(round.gather))
        case let .securing(round):
            guard let secure = round.secure else { return nil }
            let silent = secure.pending.map { max(secure.asked[$0]?.at ?? 0, membership.lastSeen($0) ?? 0) + timeout }.min() ?? .infinity
            return min(secure.deadline, silent)
        case let .evaluating(_, gather): return min(gather.deadline, silence(gather))
        case .centralEvaluation: return nil
        case let .asynchronous(run): return nextAsynchronousDeadline(run)
        case .ended: return nil
        }
    }

    /// Handles one message from a peer.
    ///
    /// - Throws: errors of aggregation, evaluation or encoding (not of anything a peer sends:
    ///   bad messages only cost that peer its answer).
    public func handle(_ delivery: Delivery) throws -> [SchedulerAction] {
        let now = clock.now
        var actions: [SchedulerAction] = []
        let envelope: Envelope
        // Flag 2 (several hosted clients) goes only from a scheduler to a process.
        switch delivery.envelope.flatMap({ $0.recipients.isEmpty ? .success($0)
            : .failure(WireError(.malformed, "a message for several hosted clients (header flag 2) goes only from a scheduler to a process", messageID: $0.id)) }) {
        case let .success(decoded):
            envelope = decoded
        case let .failure(error):
            // Undecodable bytes: answered (so the sender can tell why), and from a worker that
            // owes an answer, its answer is garbage.
            logger.notice("undecodable message from \(delivery.peer): \(error)")
            try reply(.errorReply(for: error), to: delivery.peer, replyTo: error.messageID ?? 0, into: &actions)
            if let worker = membership.worker(at: delivery.peer) {
                try failTask(of: worker, because: "it sent a message that could not be decoded (\(error))", at: now, into: &actions)
            }
            return actions
        }
        if case let .register(id, samples, labels) = envelope.message {
            if let worker = membership.worker(at: delivery.peer) { membership.heard(from: worker, at: now) }
            try register(id, peer: delivery.peer, credential: delivery.authenticatedID, messageID: envelope.id, samples: samples,
                         labels: labels, at: now, into: &actions)
            return actions
        }
        let connection = membership.connection(of: delivery.peer)
        if delivery.peer.client == nil, membership.worker(at: delivery.peer) == nil, connection.known {
            // A process hosting clients speaks for itself: its heartbeat keeps them all alive.
            if connection.credential == delivery.authenticatedID {
                membership.heard(on: delivery.peer, at: now)
            } else {
                logger.warning("a message from \(delivery.peer) carries another key than its clients'; dropped")
            }
            if envelope.message.expectsAnswer {
                try reply(.errorReply(for: WireError(.requestFailed, "a process hosting clients sends only heartbeats and its bye as itself; \(envelope.message.kindName) goes as one of its clients")),
                          to: delivery.peer, replyTo: envelope.id, into: &actions)
            }
            return actions
        }
        guard let worker = membership.worker(at: delivery.peer) else {
            // A heartbeat too: a worker of a scheduler that restarted learns so from this, and
            // registers again (it does not on silence alone; docs/PROTOCOL.md).
            if envelope.message.expectsAnswer || envelope.message.isTaskAnswer || envelope.message == .heartbeat {
                try reply(.error(code: WireError.Kind.notRegistered.rawValue,
                                 message: "\(delivery.peer) is not a worker of this run: send register first"),
                          to: delivery.peer, replyTo: envelope.id, into: &actions)
            }
            return actions
        }
        guard membership.credential(of: worker) == delivery.authenticatedID else {
            // The routing id of a registered worker, with another key (or none): not that worker.
            logger.warning("a message from \(delivery.peer) carries another key than worker \(worker)'s; dropped")
            tracer?.span("impersonation", start: TraceEvent.now(), detail: "\(delivery.authenticatedID ?? "no key") as \(worker)")
            return actions
        }
        membership.heard(from: worker, at: now)
        switch envelope.message {
        case .done where membership.isWelcomed(worker, messageID: envelope.replyTo):
            _ = membership.answeredWelcome(worker, replyTo: envelope.replyTo)
            if var progress = takeJoining() {
                joined(worker, progress: &progress, at: now, into: &actions)
                phase = .joining(progress)
            }
            // Out of the block above: a copy of the progress still held there would make the
            // next welcome copy its tables of a thousand entries (each answer, a million times).
            try advanceJoining(at: now, into: &actions)
        case let .error(_, text) where membership.isWelcomed(worker, messageID: envelope.replyTo):
            if case .joining = phase {
                fail(.joinFailed(worker: worker, reason: text), into: &actions)
            } else {
                membership.lose(worker)
                logger.warning("worker \(worker) could not rejoin: \(text)")
                tracer?.span("rejoin refused", start: TraceEvent.now(), detail: "\(worker): \(text)")
            }
        default:
            try answer(envelope, from: worker, at: now, into: &actions)
        }
        return actions
    }

    /// Acts on the time: deadlines passed, workers silent for too long.
    ///
    /// - Throws: errors of aggregation, evaluation or encoding.
    public func tick() throws -> [SchedulerAction] {
        let now = clock.now
        var actions: [SchedulerAction] = []
        try heartbeat(at: now, into: &actions)
        switch phase {
        case let .registering(deadline) where now >= deadline:
            fail(.tooFewWorkers(registered: membership.count, expected: settings.workers,
                                seconds: settings.registrationTimeout), into: &actions)
        case let .joining(progress):
            try giveUpJoining(progress, at: now, into: &actions)
        case .training, .securing, .evaluating:
            try checkSilence(at: now, into: &actions)
            try closeIfDue(at: now, into: &actions)
        case var .asynchronous(run):
            try tickAsynchronously(&run, at: now, into: &actions)
            if case .asynchronous = phase { phase = .asynchronous(run) }
        default:
            break
        }
        return actions
    }

    /// The driver's evaluation on the test set of the model it was last asked to evaluate (the
    /// oldest unanswered ``SchedulerAction/evaluate(_:round:)``), or why it failed: the round
    /// (or the asynchronous run's report) it was for goes on.
    ///
    /// - Throws: the evaluation's error (the run cannot be reported without it); errors of encoding.
    public func evaluated(_ result: Result<Evaluation, any Error>) throws -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        let evaluation = try result.get()
        switch phase {
        case var .centralEvaluation(round):
            round.central = evaluation
            try continueAfterCentralEvaluation(round, into: &actions)
        case var .asynchronous(run):
            try reportEvaluated(evaluation, run: &run, into: &actions)
            if case .asynchronous = phase { phase = .asynchronous(run) }
        default:
            logger.notice("an evaluation came when none was awaited; ignored")
        }
        return actions
    }

    /// Acts on knowing that the process behind connection `peer` has exited (its launcher saw
    /// it end, which is no guess): its workers are lost now rather than after the heartbeat
    /// timeout, and their tasks go to other workers or are given up, as a silent worker's are.
    /// A process that starts again over the same identity brings each back as it registers.
    ///
    /// - Throws: errors of aggregation, evaluation or encoding (a round may close).
    public func connectionEnded(_ peer: PeerID) throws -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        guard !hasEnded else { return actions }
        let lost = membership.loseConnection(of: peer)
        // While joining, those still loading their share are given up, and those not welcomed
        // yet will not be (``advanceJoining(at:into:)``).
        let loading = if case let .joining(progress) = phase { progress.loading.filter { $0.value == peer.bytes }.keys.sorted() } else { [String]() }
        let count = lost.count + loading.count
        guard count > 0 else { return actions }
        let now = clock.now
        let workers = count == 1 ? "its worker is" : "its \(count) workers are"
        logger.warning("the process behind connection \(peer) exited \(activity): \(workers) lost; the run goes on without \(count == 1 ? "it" : "them")")
        tracer?.span("process exited", start: TraceEvent.now(), detail: "\(activity): \(workers) lost", peer: peer.description)
        if case let .joining(progress) = phase { try giveUpJoining(loading, progress, at: now, into: &actions) }
        try failTasks(ofGone: lost, because: "its process exited", at: now, into: &actions)
        return actions
    }

    /// Sends a heartbeat over every workers' connection that was sent nothing for
    /// ``heartbeatInterval`` (one for all the clients a process hosts), so that a worker can tell
    /// a scheduler that is gone (killed, its host down) from one that has nothing to ask.
    func heartbeat(at now: Double, into actions: inout [SchedulerAction]) throws {
        guard !hasEnded else { return }
        for peer in membership.connections {
            // A connection sent nothing yet (its registration was acknowledged) counts from now:
            // not from when it was last heard, which its own heartbeats keep recent while it
            // waits for a welcome, so it would never hear from the scheduler and take it for gone.
            guard let sent = lastSent[peer.bytes] else {
                lastSent[peer.bytes] = now
                continue
            }
            if now - sent >= Self.heartbeatInterval {
                lastSent[peer.bytes] = now
                actions.append(.send(try EncodedMessage(Envelope(id: takeID(), message: .heartbeat), codec: codec), to: peer))
            }
        }
    }

    /// Seconds between the scheduler's heartbeats to a worker it has nothing else to send: a
    /// fifth of the 10 s a worker waits before taking it for gone, and half the traffic of a
    /// heartbeat a second, which a hundred workers make noticeable.
    public static let heartbeatInterval = 2.0

    /// The hyperparameters the train tasks of `round` (or server step `round`) carry, as JSON.
    func hyperparametersText(round: Int) throws -> String {
        let values = settings.hyperparameters(round: round)
        if let written = hyperparametersWritten, written.values == values { return written.text }
        let text = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        hyperparametersWritten = (values, text)
        return text
    }

    /// A fresh message id.
    func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Ends the run with `error`.
    func fail(_ error: SchedulerError, into actions: inout [SchedulerAction]) {
        phase = .ended
        actions.append(.fail(error))
    }

    /// Answers message `replyTo` from `peer` (a worker or not) with `message`.
    func reply(_ message: Message, to peer: PeerID, replyTo: UInt64, into actions: inout [SchedulerAction]) throws {
        actions.append(.send(try EncodedMessage(Envelope(id: takeID(), replyTo: replyTo, message: message), codec: codec), to: peer))
    }

    /// Sends `envelope` to worker `id`.
    func send(_ envelope: Envelope, to id: String, into actions: inout [SchedulerAction]) throws {
        try send(EncodedMessage(envelope, codec: codec), to: id, into: &actions)
    }

    /// Sends the encoded `message` to worker `id`, noting when.
    func send(_ message: EncodedMessage, to id: String, into actions: inout [SchedulerAction]) {
        guard let peer = membership.peer(of: id) else { return }
        lastSent[peer.bytes] = clock.now
        actions.append(.send(message, to: peer))
    }

    /// Notes `error`, an update refused, for a failure's message.
    func noteRefusal(_ error: any Error) {
        if refusals.count < 5 { refusals.append("\(error)") }
    }

    /// Steps the global model with `compute` (given the strategy, whose state it may change): a
    /// result holding a value that is not finite (an overflow of finite updates) is refused, and
    /// the model and the strategy's state stay as they were. Returns whether the model moved.
    @discardableResult
    func stepGlobal(round: Int, _ compute: (inout any AggregationStrategy) throws -> ParameterSet) throws -> Bool {
        var candidate = strategy
        let next = try compute(&candidate)
        guard next.tensors.allSatisfy(\.isFinite) else {
            logger.warning("round \(round): the aggregate holds values that are not finite; the previous model is kept")
            tracer?.span("non-finite aggregate", start: TraceEvent.now(), detail: "the previous model is kept", round: UInt64(round))
            return false
        }
        strategy = candidate
        global = next
        return true
    }
}
