import Foundation
import TesseraData
import TesseraNN
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire
import TesseraWorker

/// Synchronous FedAvg over worker processes: waits for the expected workers to register,
/// welcomes each with the run configuration and its client index (by sorted worker id), then
/// for every round samples a fraction of them, sends one encoded train task to all, collects
/// updates until the deadline, aggregates when a quorum arrived (in worker-id order), evaluates
/// the global model on the test set, and writes metrics and a checkpoint. Runs are reproducible
/// from the seed.
public final class SyncScheduler {
    let configuration: SchedulerConfiguration
    private let context: ZMQContext
    let socket: MessageSocket
    let tracer: TraceWriter?
    private var nextID: UInt64 = 1
    /// Routing identity of each registered worker, by id.
    private(set) var identities: [String: Data] = [:]
    /// Client index of each worker (kept when it rejoins).
    private var clientIndices: [String: Int] = [:]
    /// When each worker was last heard from.
    private(set) var lastSeen: [String: Date] = [:]
    /// Workers not heard from for `heartbeatTimeout` (not sampled until heard from again).
    var lost: Set<String> = []
    /// Welcomes sent to rejoining workers, by message id: they are usable once they answer.
    private var rejoining: [UInt64: String] = [:]
    /// The endpoint bound (with the real port).
    public let address: String
    /// Called with each round's result (progress output).
    public var onRound: (RoundResult) -> Void = { _ in }
    /// Called as a round progresses: (round, updates so far, workers sampled).
    public var onProgress: (Int, Int, Int) -> Void = { _, _, _ in }
    /// Checked while waiting; returning true ends the run with an error (Ctrl-C).
    public var shouldStop: () -> Bool = { false }

    /// A scheduler bound to `configuration.bind`.
    ///
    /// - Throws: ``SchedulerError`` for an invalid configuration, ``TransportError`` when it
    ///   cannot bind.
    public init(configuration: SchedulerConfiguration, tracer: TraceWriter? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        self.tracer = tracer
        context = try ZMQContext()
        let zmq = try ZMQSocket(.router, context: context)
        try zmq.bind(configuration.bind)
        address = try zmq.lastEndpoint()
        socket = MessageSocket(zmq, codec: WireCodec(), tracer: tracer, peerName: "workers")
    }

    /// Runs every round and returns their results; the final model is in the run directory.
    ///
    /// - Throws: ``SchedulerError`` when workers do not register in time or a round cannot
    ///   reach its quorum; data and transport errors.
    public func run() throws -> [RoundResult] {
        try FileManager.default.createDirectory(at: configuration.runDirectory, withIntermediateDirectories: true)
        let test = try DataSource.locate(explicit: configuration.data == "auto" ? nil : configuration.data)
            .load(seed: configuration.seed).test
        try register()
        var global = try Model(spec: configuration.model, seed: configuration.seed)
        var generator = SeededGenerator(seed: configuration.seed)
        var strategy = configuration.strategy
        var results: [RoundResult] = []
        let checkpointURL = configuration.runDirectory.appendingPathComponent("checkpoint.safetensors")
        var firstRound = 1
        if configuration.resume {
            let checkpoint = try Checkpoint(contentsOf: checkpointURL)
            guard let done = checkpoint.metadata["round"].flatMap(Int.init), checkpoint.metadata["seed"] == String(configuration.seed) else {
                throw SchedulerError("\(checkpointURL.path) has no round, or was written with another seed")
            }
            try global.load(checkpoint.parameters)
            try strategy.restore(checkpoint.optimizer?.buffers ?? [:])
            firstRound = done + 1
            // Replay the sampling draws of the rounds already run, so the sequence continues.
            var order = identities.keys.sorted()
            for _ in 1..<firstRound { order.shuffle(using: &generator) }
        }
        let metrics = try MetricsLog(directory: configuration.runDirectory, appending: configuration.resume)
        for round in firstRound...max(firstRound, configuration.rounds) where round <= configuration.rounds {
            let start = Date()
            try pump()
            let workers = identities.keys.filter { !lost.contains($0) }.sorted()
            guard !workers.isEmpty else { throw SchedulerError("round \(round): every worker is lost (no heartbeat for \(configuration.heartbeatTimeout) s)") }
            var order = workers
            order.shuffle(using: &generator)
            let sampled = Array(order.prefix(configuration.sampleSize(available: workers.count))).sorted()
            let updates = try runRound(round, sampled: sampled, global: global.parameters)
            let aggregated = updates.count >= configuration.quorum
            if aggregated {
                let aggregateStart = TraceEvent.now()
                try global.load(strategy.aggregate(global: global.parameters, updates: updates))
                tracer?.span("aggregate", start: aggregateStart, detail: "round \(round), \(updates.count) updates")
            }
            let evaluationStart = Date()
            let spanStart = TraceEvent.now()
            let evaluation = try global.evaluate(Batches(test, batchSize: 256))
            tracer?.span("evaluate", start: spanStart, detail: "round \(round)")
            AllocatorTuning.releaseFreeMemory()  // the evaluation's activations, until next round
            let federated = configuration.heldOutFraction > 0 ? try evaluateFederated(round, global: global.parameters) : nil
            let result = RoundResult(
                round: round, sampled: sampled.count, received: updates.count, late: sampled.count - updates.count,
                aggregated: aggregated, accuracy: evaluation.accuracy, loss: evaluation.loss,
                seconds: Date().timeIntervalSince(start), evaluationSeconds: Date().timeIntervalSince(evaluationStart),
                federated: federated)
            try metrics.append(result)
            try Checkpoint(parameters: global.parameters, optimizer: Self.strategyState(strategy.state),
                           metadata: ["round": String(round), "seed": String(configuration.seed), "model": configuration.model.name])
                .write(to: checkpointURL)
            results.append(result)
            onRound(result)
            if !aggregated && updates.isEmpty && round == 1 {
                throw SchedulerError("round 1 received no updates from \(sampled.count) workers within \(configuration.deadline) s")
            }
        }
        for identity in identities.values {
            try? socket.send(Envelope(id: takeID(), message: .bye(reason: "run finished")), to: identity)
        }
        tracer?.flush()
        return results
    }

    /// Waits for the expected workers, then welcomes each with its client index.
    private func register() throws {
        var registered: [String: (identity: Data, samples: UInt64)] = [:]
        let deadline = Date().addingTimeInterval(configuration.registrationTimeout)
        while registered.count < configuration.workers {
            if shouldStop() { throw SchedulerError("interrupted while waiting for workers") }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                throw SchedulerError("only \(registered.count) of \(configuration.workers) workers registered within \(configuration.registrationTimeout) s")
            }
            guard let received = try socket.receive(timeout: min(left, 0.5), hasIdentity: true),
                  let identity = received.identity, case let .success(envelope) = received.envelope else { continue }
            if case let .register(workerID, samples, _) = envelope.message {
                registered[workerID] = (identity, samples)
            }
        }
        // Welcome a few at a time and wait until each has loaded its data and answered: all
        // loading at once would multiply the memory peak by the number of workers.
        let order = registered.keys.sorted()
        var pending: [UInt64: String] = [:]
        var next = 0
        let joinDeadline = Date().addingTimeInterval(configuration.registrationTimeout + configuration.deadline)
        while next < order.count || !pending.isEmpty {
            while next < order.count && pending.count < configuration.maxConcurrentTrainers {
                let workerID = order[next]
                let run = runConfiguration(clientIndex: next)
                let identity = registered[workerID]!.identity
                identities[workerID] = identity
                clientIndices[workerID] = next
                lastSeen[workerID] = Date()
                let id = takeID()
                try socket.send(Envelope(id: id, message: .welcome(runID: configuration.runDirectory.lastPathComponent,
                                                                   configuration: try run.json())), to: identity)
                pending[id] = workerID
                next += 1
            }
            if shouldStop() { throw SchedulerError("interrupted while workers were joining") }
            let left = joinDeadline.timeIntervalSinceNow
            guard left > 0 else { throw SchedulerError("workers \(pending.values.sorted()) did not finish joining in time") }
            guard let received = try socket.receive(timeout: min(left, 0.5), hasIdentity: true),
                  case let .success(envelope) = received.envelope, let workerID = pending[envelope.replyTo] else { continue }
            switch envelope.message {
            case .done:
                pending[envelope.replyTo] = nil
            case let .error(_, text):
                throw SchedulerError("worker \(workerID) could not join: \(text)")
            default:
                continue
            }
        }
    }

    /// Sends round `round`'s task to `sampled` (encoded once) and collects their updates until
    /// all arrived or the deadline passed. Late or stray updates are dropped.
    private func runRound(_ round: Int, sampled: [String], global: ParameterSet) throws -> [String: TrainUpdate] {
        let hyperparameters = String(decoding: try JSONEncoder().encode(configuration.hyperparameters), as: UTF8.self)
        let task = Envelope(id: takeID(), message: .trainTask(TrainTask(
            round: UInt64(round), modelVersion: UInt64(round - 1), hyperparameters: hyperparameters, parameters: global)))
        let updates = try gather(task, from: sampled, during: "round \(round)", onAccepted: { onProgress(round, $0, sampled.count) }) {
            message, worker -> Answer<TrainUpdate> in
            guard case let .update(update) = message, update.round == UInt64(round) else { return .ignored }
            // A malformed update (wrong names or shapes, non-finite values, no samples) counts
            // as a failure of that worker; it never reaches the global model.
            guard Self.isUsable(update, for: global) else {
                tracer?.span("rejected update", start: TraceEvent.now(), detail: "\(worker), round \(round)")
                return .failed
            }
            return .accepted(update)
        }
        // Sampled workers that neither answered nor were heard from lately are lost.
        markLost()
        return updates
    }

    /// Asks the live workers to evaluate round `round`'s global model on their held-out data
    /// and summarizes their answers (nil when none came).
    private func evaluateFederated(_ round: Int, global: ParameterSet) throws -> FederatedEvaluation? {
        let workers = identities.keys.filter { !lost.contains($0) }.sorted()
        let task = Envelope(id: takeID(), message: .evaluateTask(EvaluateTask(round: UInt64(round), parameters: global)))
        let results = try gather(task, from: workers, during: "round \(round)'s federated evaluation") {
            message, worker -> Answer<EvaluationResult> in
            guard case let .evaluation(result) = message else { return .ignored }
            guard FederatedEvaluation.isUsable(result, round: round) else {
                tracer?.span("rejected evaluation", start: TraceEvent.now(), detail: "\(worker), round \(round)")
                return .failed
            }
            return .accepted(result)
        }
        return FederatedEvaluation(workers.compactMap { results[$0] })
    }

    /// Handles whatever arrived between rounds (heartbeats, rejoins), then marks the silent lost.
    private func pump() throws {
        while let received = try socket.receive(timeout: 0, hasIdentity: true) {
            guard let identity = received.identity, case let .success(envelope) = received.envelope else { continue }
            if let worker = identities.first(where: { $0.value == identity })?.key {
                try note(envelope, from: worker, identity: identity)
            } else if case let .register(workerID, _, _) = envelope.message, clientIndices[workerID] != nil {
                try note(envelope, from: workerID, identity: identity)
            }
        }
        markLost()
    }

    /// Records that `worker` is alive; welcomes it again when it re-registers (a restarted
    /// process), and makes it usable again once it answers that welcome.
    func note(_ envelope: Envelope, from worker: String, identity: Data) throws {
        lastSeen[worker] = Date()
        switch envelope.message {
        case .register:
            guard let index = clientIndices[worker] else { return }
            identities[worker] = identity
            lost.insert(worker)
            let run = runConfiguration(clientIndex: index)
            let id = takeID()
            try socket.send(Envelope(id: id, message: .welcome(runID: configuration.runDirectory.lastPathComponent,
                                                               configuration: try run.json())), to: identity)
            rejoining[id] = worker
        case .done where rejoining[envelope.replyTo] != nil:
            rejoining[envelope.replyTo] = nil
            lost.remove(worker)
        default:
            if !rejoining.values.contains(worker) { lost.remove(worker) }
        }
    }

    /// What a worker with `clientIndex` is told in its welcome.
    private func runConfiguration(clientIndex: Int) -> RunConfiguration {
        RunConfiguration(model: configuration.model, data: configuration.data, partition: configuration.partition,
                         alpha: configuration.alpha, shardsPerClient: configuration.shardsPerClient,
                         clients: configuration.workers, clientIndex: clientIndex, seed: configuration.seed,
                         heldOutFraction: configuration.heldOutFraction)
    }

    /// Marks workers not heard from within the heartbeat timeout as lost.
    private func markLost() {
        let cutoff = Date().addingTimeInterval(-configuration.heartbeatTimeout)
        for (worker, seen) in lastSeen where seen < cutoff { lost.insert(worker) }
    }

    /// The strategy's buffers (each shaped like the model) as the checkpoint's optimizer state.
    private static func strategyState(_ state: [String: ParameterSet]) -> OptimizerState? {
        state.isEmpty ? nil : OptimizerState(kind: "strategy", step: 0, buffers: state)
    }

    /// Whether `update` can be aggregated into `global`.
    static func isUsable(_ update: TrainUpdate, for global: ParameterSet) -> Bool {
        guard update.sampleCount > 0, let parameters = try? update.parameters(),
              (try? global.checkCompatible(with: parameters, operation: "update")) != nil else { return false }
        return parameters.tensors.allSatisfy { $0.scalars.allSatisfy(\.isFinite) }
    }

    private func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }
}
