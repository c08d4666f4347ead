import Foundation
import Logging
import TesseraData
import TesseraNN
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

/// Runs a ``SchedulerMachine`` over a bound channel: receives messages and feeds them in,
/// ticks it when its deadlines come, sends what it asks, evaluates the models it asks about and
/// writes each round's metrics and checkpoint to the run directory, those two in the
/// background so that the loop keeps hearing its workers. The machine holds every decision;
/// this is the I/O.
///
/// Time is read on an ``/TesseraTransport/AttendedClock``: a scheduler that was itself paused or starved does
/// not count that time against its workers' silence (nor its deadlines).
public final class FederatedScheduler {
    /// The run's settings.
    public let settings: RunSettings
    /// Where metrics, checkpoints and traces go; its name is the run's id.
    public let runDirectory: URL
    let channel: any MessageChannel
    /// The clock the machine runs on: the given one, less the time the loop was not listening.
    let clock: AttendedClock
    /// The clock as given: reports and time limits read it.
    let wallClock: any MonotonicClock
    let tracer: TraceWriter?
    /// The endpoint bound (with the real port).
    public var address: String { channel.address }
    /// Called with each round's result (progress output).
    public var onRound: (RoundResult) -> Void = { _ in }
    /// Called as a round progresses: (round, updates so far, workers sampled).
    public var onProgress: (Int, Int, Int) -> Void = { _, _, _ in }
    /// Called with registration's and joining's progress in a run of more than a hundred workers.
    public var onRegistration: (RegistrationProgress) -> Void = { _ in }
    /// Checked while waiting; returning true ends the run with an error (Ctrl-C).
    public var shouldStop: () -> Bool = { false }
    /// Polled as often as ``shouldStop``: the identities of worker processes that exited since
    /// the last call, whose workers are then lost at once instead of after the heartbeat
    /// timeout. A launcher knows when the processes it started end; a scheduler alone knows a
    /// process only by its silence, so by default none is reported.
    public var exitedProcesses: () -> [String] = { [] }
    /// The run's data, split, when the caller made it already (a launcher checks it before
    /// starting workers); else ``run()`` makes it.
    public var plan: DataPlan?
    /// The strategy given in place of the one the settings name.
    let strategy: (any AggregationStrategy)?
    /// Your own evaluation of the global model after every round (or asynchronous report), run
    /// in the background beside the test-set evaluation: its figures go into the round's
    /// ``RoundResult/custom`` and `metrics.jsonl`. An error it throws ends the run. Initially
    /// the one the settings name (``EvaluationHookRegistry``), if any.
    public var evaluationHook: EvaluationHook?
    /// Kernel threads the work a synchronous round waits for with its trainers idle splits
    /// over: the sum of the updates as it closes and the test-set evaluation after; nil: the
    /// process's (`TESSERA_THREADS`, else its cores). An in-process launch, whose trainers each
    /// get a share of the cores, sets all of them. The asynchronous modes sum updates while
    /// others train, on the process's threads.
    public var roundEndThreads: Int?
    /// Chooses each synchronous round's workers in place of a uniform draw; not with
    /// differential privacy, whose accountant needs its Poisson sampling. Initially the one the
    /// settings name (``SamplerRegistry``), if any.
    public var clientSampler: (any ClientSampler)?

    /// A scheduler for `settings`, writing to `runDirectory`, bound to `settings.bind` through
    /// `transport`, reading time from `clock` (less what the scheduler did not spend listening);
    /// aggregating with `strategy` when one is given (its state is checkpointed and restored on
    /// resume like a built-in one's), else with the one `settings` name.
    ///
    /// - Throws: ``SettingError`` for settings that do not fit together or name what this program
    ///   has not registered, ``/TesseraTransport/TransportError`` when it cannot bind.
    public init(settings: RunSettings, runDirectory: URL, strategy: (any AggregationStrategy)? = nil, transport: Transport = .zeroMQ,
                clock: any MonotonicClock = SystemClock(), tracer: TraceWriter? = nil) throws {
        try settings.validate()
        if strategy != nil && settings.mode == .fedasync {
            throw SettingError(key: "training.mode", value: "fedasync",
                               message: "mixes each update into the model itself and takes no strategy; use sync or fedbuff with your own")
        }
        self.settings = settings
        self.strategy = strategy
        clientSampler = try settings.makeClientSampler()
        evaluationHook = try settings.makeEvaluationHook()
        self.runDirectory = runDirectory
        self.clock = AttendedClock(clock)
        wallClock = clock
        self.tracer = tracer
        channel = try transport.bind(settings.bind, limits: WireLimits(maximumMessageBytes: try Self.messageLimit(for: settings.model)),
                                     queueLimit: Self.queueLimit(workers: settings.workers), security: try settings.schedulerSecurity(), tracer: tracer)
    }

    /// The membership's revision the last `clients.json` written stands for.
    private var rosterRevision: Int?
    /// Seconds between ticks of the machine when no deadline is due.
    static let tickInterval = 0.1

    /// Messages queued per connection each way: a worker sends a heartbeat a second and one
    /// answer per task, so a deep queue only lets a flooding peer hold memory; but one process
    /// may host many of the run's clients over its connection (`--clients`), each with its
    /// messages, so the queue grows with the clients the run expects (to 100,000 at most).
    static func queueLimit(workers: Int) -> Int {
        min(100_000, 64 + 4 * max(0, workers))
    }

    /// The largest message the scheduler accepts: twice the model's weights (an update carries
    /// them once) plus 1 MiB for names and the rest. Anything larger is not an honest message,
    /// and libzmq drops it before it is received.
    static func messageLimit(for model: ModelSpec) throws -> Int {
        let weights = try Model(spec: model, seed: 0).parameters.scalarCount * 4
        return 2 * weights + (1 << 20)
    }

    /// Runs every round and returns their results; the final model is in the run directory.
    /// The channel is closed at the end.
    ///
    /// - Throws: ``SchedulerError`` when workers do not register in time or the run cannot go
    ///   on; data, checkpoint, file and transport errors.
    public func run() throws -> [RoundResult] {
        defer { channel.close() }
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let plan = try self.plan ?? DataPlan(settings: settings)
        // Records for reports: a run goes on without them (a full disk fails the metrics instead).
        var environment = RunEnvironment.current()
        environment.data = plan.source.name
        do { try environment.write(into: runDirectory) } catch {
            Logger(label: "tessera.scheduler").warning("cannot write environment.json: \(error)")
        }
        let (test, shares, labels) = (plan.test, plan.shares, plan.labels)
        let machine = try makeMachine(shares: shares)
        if let warning = settings.privacyNoiseWarning(parameters: machine.global.scalarCount) {
            Logger(label: "tessera.scheduler").warning("\(warning)")
        }
        let metrics = try MetricsLog(directory: runDirectory, resumingAfter: machine.firstRound > 1 ? machine.firstRound - 1 : nil)
        let work = BackgroundWork(waking: channel)
        // `clients.json` is written on a thread of its own: ten thousand clients' take a tenth
        // of a second, a hundred thousand's more than a second, and the next round's
        // evaluation, queued behind it, held the round up that long.
        let aside = BackgroundWork(waking: channel)
        // On every way out, what was handed to the background is finished first (a round's
        // records, an evaluation in progress).
        defer {
            for lane in [work, aside] {
                lane.waitUntilDone()
                lane.finish()
            }
        }
        let records = Records(metrics: metrics, checkpoint: checkpointURL, directory: runDirectory, test: test, model: settings.model,
                              tracer: tracer, roster: { Self.roster(shares, labels, machine) },
                              revision: { machine.membership.revision })
        // A synchronous round's close sums its updates with the trainers idle: on all the
        // threads its evaluation gets.
        let closing = settings.mode.isAsynchronous ? ThreadPool.current : roundEndThreads.map(ThreadPool.sized) ?? .current
        try ThreadPool.runningKernels(on: closing) {
            try loop(machine, records: records, work: work, aside: aside)
        }
        for lane in [work, aside] { lane.waitUntilDone() }
        for case let .failed(error) in work.takeOutcomes() { throw error }
        tracer?.flush()
        return machine.results
    }

    /// Runs `machine` until it ends: messages, ticks, exits and the background's outcomes.
    private func loop(_ machine: SchedulerMachine, records: Records, work: BackgroundWork, aside: BackgroundWork) throws {
        // Time is acted on (ticks, heartbeats, the stop check) when a deadline is due and at
        // least every tenth of a second, not after every message: a hundred workers send
        // hundreds a second, and a tick looks at every one of them.
        // The next deadline is read after each tick only: one that a message brings is seconds
        // away, and reading it looks at every worker in flight.
        var lastTick = -Double.infinity
        var deadline: Double?
        while !machine.hasEnded {
            // A turn waits at most a tick interval for a message.
            noteStall(clock.attend(turnLasting: Self.tickInterval))
            for outcome in work.takeOutcomes() {
                switch outcome {
                case let .evaluated(result): try perform(machine.evaluated(result), records: records, work: work, aside: aside)
                case let .failed(error): throw error
                }
            }
            if machine.hasEnded { break }
            let now = clock.now
            if now - lastTick >= Self.tickInterval || deadline.map({ now >= $0 }) == true {
                if shouldStop() { throw SchedulerError.interrupted(phase: machine.activity) }
                for process in exitedProcesses() {
                    try perform(machine.connectionEnded(PeerID(process)), records: records, work: work, aside: aside)
                }
                try perform(machine.tick(), records: records, work: work, aside: aside)
                lastTick = now
                if machine.hasEnded { break }
                deadline = machine.nextDeadline
            }
            let wait = deadline.map { max(0, min(Self.tickInterval, $0 - clock.now)) } ?? Self.tickInterval
            if let delivery = try channel.receive(timeout: wait) {
                do {
                    try perform(machine.handle(delivery), records: records, work: work, aside: aside)
                } catch let error as SchedulerError {
                    throw error
                } catch let error as TransportError {
                    throw error
                } catch {
                    // Nothing one message brings ends the run: what went wrong is said, and the
                    // run's deadlines carry it on.
                    Logger(label: "tessera.scheduler").error("a message from \(delivery.peer) could not be handled: \(error); the run goes on")
                    tracer?.span("handler failed", start: TraceEvent.now(), detail: "\(error)", peer: delivery.peer.description)
                }
            }
        }
    }

    /// Seconds the loop may be late before the stall is logged and traced.
    static let reportedStall = 2.0

    /// Says that the loop was away `seconds` beyond its tolerance (the process paused or
    /// starved), which the clock did not count.
    private func noteStall(_ seconds: Double) {
        guard seconds >= Self.reportedStall else { return }
        let text = String(format: "%.1f", seconds)
        Logger(label: "tessera.scheduler").warning("the scheduler was not listening for \(text) s (paused or starved of the CPU); that time is not held against the workers")
        tracer?.span("scheduler stalled", start: TraceEvent.now() - UInt64(seconds * 1e9), detail: "\(text) s not listening")
    }

    /// The clients with the workers the machine gave them to.
    static func roster(_ shares: ShareSizes, _ labels: [[Int]], _ machine: SchedulerMachine) -> ClientRoster? {
        guard shares.training.count <= ClientRoster.maximumClients else { return nil }
        let workers = Dictionary(machine.membership.ids.compactMap { id in machine.membership[id]?.clientIndex.map { ($0, id) } },
                                 uniquingKeysWith: { first, _ in first })
        return ClientRoster(clients: shares.training.indices.map { index in
            let worker = workers[index]
            return ClientRoster.Client(index: index, worker: worker, samples: shares.training[index],
                                       heldOut: index < shares.heldOut.count ? shares.heldOut[index] : 0,
                                       labels: index < labels.count ? labels[index] : [],
                                       registeredSamples: worker.flatMap { machine.membership[$0]?.reportedSamples } ?? 0,
                                       sampleLimit: worker.flatMap { machine.trainingLimit(of: $0) })
        })
    }

    /// The machine for this run: a fresh model, or the checkpoint's when resuming.
    func makeMachine(shares: ShareSizes?) throws -> SchedulerMachine {
        var global = try Model(spec: settings.model, seed: settings.seed).parameters
        var strategy = try self.strategy ?? settings.makeStrategy()
        var firstRound = 1
        var sampler: SeededGenerator?
        var privateState: (budget: PrivacyBudget, clip: Double)?
        var virtualTime = 0.0
        // A run stopped before its first round completed has no checkpoint: it starts over.
        if settings.resume && FileManager.default.fileExists(atPath: checkpointURL.path) {
            let url = checkpointURL
            let checkpoint = try Checkpoint(contentsOf: url)
            guard let done = checkpoint.metadata["round"].flatMap(Int.init), checkpoint.metadata["seed"] == String(settings.seed) else {
                throw SchedulerError.badCheckpoint(path: url.path, reason: "it has no round, or was written with another seed")
            }
            if let mode = checkpoint.metadata["mode"], mode != settings.mode.rawValue {
                throw SchedulerError.badCheckpoint(path: url.path, reason: "it was written by a \(mode) run; resume it with training.mode \(mode)")
            }
            var model = try Model(spec: settings.model, seed: settings.seed)
            try model.load(checkpoint.parameters)
            global = model.parameters
            try strategy.restore(checkpoint.optimizer)
            firstRound = done + 1
            sampler = checkpoint.metadata["sampler"].flatMap(SeededGenerator.init(snapshot:))
            virtualTime = checkpoint.metadata["virtualTime"].flatMap(Double.init) ?? 0
            // A private run goes on spending from what it spent, with the clip it adapted to.
            let budget = try PrivacyBudget(restoring: checkpoint.metadata, settings: settings, path: url.path)
            if settings.isPrivate {
                guard let clip = checkpoint.metadata["clip"].flatMap(Double.init) else {
                    throw SchedulerError.badCheckpoint(path: url.path, reason: "it does not record the clip its private rounds used")
                }
                privateState = (budget, clip)
            }
        }
        // A run killed after releasing a model and before checkpointing it counts that release:
        // its privacy record was written first.
        if settings.resume, settings.isPrivate, let record = try PrivacyRecord.read(from: runDirectory) {
            let spent = try PrivacyBudget(restoring: record, settings: settings, path: PrivacyRecord.url(in: runDirectory).path)
            if spent.rounds > privateState?.budget.rounds ?? 0 { privateState = (spent, privateState?.clip ?? settings.clip) }
        }
        if clientSampler != nil && settings.isPrivate {
            throw SettingError(key: "privacy.noise_multiplier", message: "a private run samples its clients by Poisson sampling, which its accountant needs: it takes no sampler of your own")
        }
        return try SchedulerMachine(settings: settings, runID: runDirectory.lastPathComponent, global: global, strategy: strategy,
                                    clientSampler: clientSampler ?? UniformSampler(),
                                    firstRound: firstRound, sampler: sampler, privateState: privateState, virtualTime: virtualTime, shares: shares,
                                    clock: clock, wallClock: wallClock, codec: channel.codec, tracer: tracer)
    }

    private var checkpointURL: URL { runDirectory.appendingPathComponent("checkpoint.safetensors") }

    /// What the background writes and evaluates with.
    struct Records {
        let metrics: MetricsLog
        let checkpoint: URL
        let directory: URL
        let test: Dataset
        let model: ModelSpec
        let tracer: TraceWriter?
        /// The clients and their workers now (read on the loop's thread; nil for more clients
        /// than a roster records).
        let roster: () -> ClientRoster?
        /// The membership's revision (``Membership/revision``) now.
        let revision: () -> Int
    }

    /// Carries out the machine's actions in order: sends at once; evaluations and a round's
    /// records (its metrics row, then its checkpoint) on `work`, in order; the roster of clients,
    /// when workers joined or rejoined, on `aside`, which nothing waits for.
    private func perform(_ actions: [SchedulerAction], records: Records, work: BackgroundWork, aside: BackgroundWork) throws {
        for action in actions {
            switch action {
            case let .send(message, peer):
                try channel.send(message, to: peer)
            case let .progress(round, accepted, sampled):
                onProgress(round, accepted, sampled)
            case let .registered(progress):
                onRegistration(progress)
            case let .evaluate(parameters, round):
                let (test, spec, tracer, hook) = (records.test, records.model, records.tracer, evaluationHook)
                let batchStatistics = settings.localNormalization.keepsStatistics
                let pool = roundEndThreads.map(ThreadPool.sized) ?? .current
                work.evaluate {
                    let start = TraceEvent.now()
                    defer { tracer?.span("evaluate", start: start, round: UInt64(round)) }
                    let model = try Model(spec: spec, parameters: parameters)
                    // With the running statistics on the clients, the global ones mean nothing: each test
                    // batch is normalized with its own.
                    var evaluation = try ThreadPool.runningKernels(on: pool) {
                        try model.evaluate(Batches(test, batchSize: 256), batchStatistics: batchStatistics)
                    }
                    AllocatorTuning.releaseFreeMemory()  // the evaluation's activations, until next round
                    if let hook { evaluation.metrics = try hook(parameters, round).filter { $0.value.isFinite } }
                    return evaluation
                }
            case let .commitPrivacy(metadata):
                // Now, not in the background: the next actions may release what it counts.
                try PrivacyRecord.write(metadata, into: runDirectory)
            case let .roundCompleted(result, checkpoint):
                // The roster only when it changed: a million clients' take seconds to write.
                let (metrics, url, directory) = (records.metrics, records.checkpoint, records.directory)
                let revision = records.revision()
                let roster = revision == rosterRevision ? nil : records.roster()
                rosterRevision = revision
                work.record {
                    try metrics.append(result)
                    try checkpoint.write(to: url)
                }
                if let roster {
                    aside.record {
                        do { try roster.write(into: directory) } catch {
                            Logger(label: "tessera.scheduler").warning("cannot write clients.json: \(error)")
                        }
                    }
                }
                onRound(result)
            case .finished:
                break
            case let .fail(.tooFewWorkers(registered, expected, seconds, _)) where channel.refusedHandshakes > 0:
                throw SchedulerError.tooFewWorkers(registered: registered, expected: expected, seconds: seconds,
                                                   refusedHandshakes: channel.refusedHandshakes)
            case let .fail(error):
                throw error
            }
        }
    }
}
