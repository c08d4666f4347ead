import Foundation
import Logging
import Synchronization
import TesseraTensor
import TesseraSecureAggregation
import TesseraTrace
import TesseraTransport
import TesseraWire

/// Runs a ``WorkerService`` on a message channel until asked to stop.
///
/// - `bind`: a bound channel (a ZeroMQ ROUTER) others connect to; each request is answered
///   to its sender.
/// - `connect`: a channel connected to a client or scheduler under the worker id (a ZeroMQ
///   DEALER); the worker registers on start, heartbeats every second and says bye on stop.
///
/// Train and evaluate tasks run on their own thread, one at a time, so the loop keeps
/// heartbeating while they run: a scheduler takes a worker that goes silent for its heartbeat
/// timeout, even mid-task, for dead. Undecodable messages are answered with an error and the
/// loop goes on.
public final class WorkerRuntime {
    /// Where the socket goes.
    public enum Endpoint: Sendable {
        case bind(String)
        case connect(String)
    }

    private let channel: any MessageChannel
    private let transport: Transport
    private var service: WorkerService
    private let tracer: TraceWriter?
    private let isRouter: Bool
    private let registration: Message
    private var nextID: UInt64 = 1
    /// When the worker last sent anything.
    private var lastSent = Date.distantPast
    /// Why the scheduler cannot be reached now (a refused key, no connection), told once;
    /// cleared when it is heard from.
    private var unreachable: String?
    /// The federated client, once a scheduler's welcome has configured it.
    private var trainer: LocalTrainer?
    /// The train or evaluate task running on its own thread, if any.
    private var running: BackgroundTask?
    /// The secure aggregation round this worker takes part in, between its keys and its unmasking.
    private var secureAggregation: SecureAggregationSession?
    /// Extra seconds each training task takes (simulating a slow device).
    public var trainingDelay: Double = 0
    /// How many times slower than this machine the simulated device trains: each training
    /// task is followed by a wait of `slowdown − 1` times its time (1: not slowed).
    public var slowdown: Double = 1
    /// Whether the simulated device comes and goes (connect mode).
    public var availability = Availability.always
    /// Called on the serving thread when a train or evaluate task starts, with the message.
    public var onTaskStarted: (Message) -> Void = { _ in }
    /// Forwards on their way to other workers.
    private let forwarder: Forwarder
    /// The endpoint the socket is bound or connected to (with the real port after `tcp://*:0`).
    public let address: String
    /// Where `forward` may send tensors (those of the same federation) and how: by default
    /// plain, to loopback and ipc endpoints only.
    public var forwardTargets = ForwardTargets()
    /// Secure aggregation against a malicious scheduler: this worker signs its round keys and
    /// takes part only with workers whose keys are signed by their owners (nil: neither; a
    /// worker with CURVE keys has one, from its key directory).
    public var secureIdentity: SigningIdentity?
    /// Seconds without any message from the scheduler, after registering, before the worker
    /// says so and registers again.
    public var registrationRetry: Double = 5
    /// Seconds without any message from the scheduler (which heartbeats a quiet worker every 2 s)
    /// after which the worker says so; it goes on heartbeating, and registers again only when
    /// a restarted scheduler answers that it does not know it (error 101).
    public var schedulerTimeout: Double = 10
    /// Seconds without any message from the scheduler after which the worker gives up and
    /// stops (0: never), so that no worker outlives its federation.
    public var giveUpAfter: Double = 300
    private let logger = Logger(label: "tessera.worker")

    /// A runtime for `service` on `endpoint`; `registration` is sent first in connect mode.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` when the socket cannot bind or connect.
    public init(service: WorkerService, endpoint: Endpoint, limits: WireLimits = WireLimits(),
                sampleCount: UInt64 = 0, labelHistogram: [UInt64] = [], tracer: TraceWriter? = nil,
                transport: Transport = .zeroMQ, security: ChannelSecurity = .none, link: LinkProfile? = nil) throws {
        self.transport = transport
        self.service = service
        self.tracer = tracer
        registration = .register(workerID: service.workerID, sampleCount: sampleCount, labelHistogram: labelHistogram)
        let opened: any MessageChannel
        switch endpoint {
        case let .bind(address):
            opened = try transport.bind(address, limits: limits, security: security, tracer: tracer)
            isRouter = true
        case let .connect(address):
            opened = try transport.connect(address, identity: service.workerID, limits: limits, security: security, tracer: tracer)
            isRouter = false
        }
        // A simulated link, its losses drawn from a seed of the worker's own, so runs repeat.
        channel = if let link, link.isActive {
            SimulatedLinkChannel(opened, profile: link, seed: Self.seed(of: service.workerID), tracer: tracer)
        } else {
            opened
        }
        self.address = channel.address
        forwarder = Forwarder(limits: limits, tracer: tracer, transport: transport)
    }

    /// Serves until `shouldStop` returns true (checked at least every 100 ms), then closes the
    /// channel.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` when the socket itself fails.
    public func run(until shouldStop: () -> Bool) throws {
        var lastHeartbeat = Date.distantPast
        let started = Date()
        // Silence is measured on time this loop listened: a worker paused (SIGSTOP) or starved
        // does not take its scheduler for gone when it comes back.
        let attention = AttendedClock()
        var contact = SchedulerContact(clock: attention, registrationRetry: registrationRetry, silenceWarning: schedulerTimeout,
                                       giveUpAfter: giveUpAfter)
        var dismissed = false
        var offlineUntil: Date?
        // A task in training when the device went away by schedule: its update is lost.
        var abandoned = false
        while !shouldStop() && !dismissed {
            // A turn waits at most 0.1 s for a message.
            attention.attend(turnLasting: 0.1)
            if !isRouter, offlineUntil == nil, let end = availability.scheduledAbsence(at: Date().timeIntervalSince(started)) {
                tracer?.span("simulated leave", start: TraceEvent.now(), detail: "offline until \(end) s by schedule")
                offlineUntil = started.addingTimeInterval(end)
                abandoned = running != nil
            }
            // A simulated device that is away hears and says nothing until it is back.
            if let until = offlineUntil {
                guard Date() >= until else {
                    _ = try channel.receive(timeout: 0.1)
                    continue
                }
                offlineUntil = nil
                logger.notice("back (simulated); registering again")
                contact.restart()
            }
            if !isRouter {
                switch contact.next() {
                case .none:
                    break
                case .register:
                    if contact.silence >= registrationRetry {
                        logger.warning("no reply from \(address) after \(Int(contact.silence.rounded())) s, retrying")
                    } else {
                        logger.info("registering with \(address)")
                    }
                    try send(registration, replyTo: 0, to: nil)
                case let .reportSilence(seconds):
                    logger.warning("no message from \(address) for \(Int(seconds.rounded())) s (stopped, paused or restarting?); still here, heartbeating")
                    tracer?.span("scheduler silent", start: TraceEvent.now(), detail: "\(Int(seconds.rounded())) s")
                case let .giveUp(seconds):
                    channel.close()
                    tracer?.flush()
                    throw TransportError(.timeout, "no message from \(address) for \(Int(seconds.rounded())) s; giving up (--give-up)"
                                         + (unreachable.map { ". Last problem: \($0)" } ?? ""))
                }
            }
            // After the registration, a heartbeat when nothing else went out for a second: any message says we live.
            if !isRouter && Date().timeIntervalSince(max(lastHeartbeat, lastSent)) >= 1 {
                try send(.heartbeat, replyTo: 0, to: nil)
                lastHeartbeat = Date()
            }
            if let task = running, let result = task.result.withLock({ $0 }) {
                running = nil
                tracer?.span(task.kindName, start: task.start)
                if abandoned {
                    abandoned = false
                    continue
                }
                if !isRouter, task.secure == nil, case .update = result, availability.leaves() {
                    tracer?.span("simulated leave", start: TraceEvent.now(), detail: "away \(availability.away) s; the update is lost")
                    offlineUntil = Date().addingTimeInterval(availability.away)
                    continue
                }
                if let secure = task.secure, case let .update(update) = result {
                    // The update stays here; the scheduler gets its keys, then its masked sum's part.
                    do {
                        let session = try SecureAggregationSession(update: update, taskID: task.replyTo, workerID: service.workerID,
                                                                   settings: secure, identity: secureIdentity)
                        secureAggregation = session
                        try send(try session.keys(), replyTo: task.replyTo, to: task.sender)
                    } catch {
                        try send(.errorReply(for: WorkerError.secureAggregation(worker: service.workerID, reason: "\(error)")),
                                 replyTo: task.replyTo, to: task.sender)
                    }
                    continue
                }
                try send(result, replyTo: task.replyTo, to: task.sender)
            }
            for (forward, result) in forwarder.takeFinished() {
                tracer?.span("forward", start: forward.start)
                // A forward's done reports the store as it is when the other worker answered.
                let reply: Message = if case .done = result { done } else { result }
                try send(reply, replyTo: forward.replyTo, to: forward.sender)
            }
            // Short polls while work runs in the background, so its reply goes out as soon as it is done.
            let busy = running != nil || !forwarder.isEmpty
            guard let received = try channel.receive(timeout: busy ? 0.005 : 0.1) else { continue }
            let reply: Message?
            var replyTo: UInt64 = 0
            var leaving = false
            // Nothing that goes wrong with one message ends the worker: it is answered with the
            // error and the loop goes on. Only the channel failing (closed, its socket gone) does.
            do {
                switch received.envelope {
                case let .success(envelope):
                    if !isRouter {
                        contact.heard()
                        unreachable = nil
                    }
                    replyTo = envelope.id
                    let start = TraceEvent.now()
                    switch envelope.message {
                    case let .bye(reason) where !isRouter:
                        // The scheduler ended the run.
                        logger.info("dismissed by \(address): \(reason)")
                        dismissed = true
                        reply = nil
                    case let .forward(id, endpoint, target):
                        reply = startForward(id, to: endpoint, as: target, replyTo: envelope.id, sender: received.peer)
                    case let .welcome(runID, _) where !isRouter && !contact.admits(run: runID):
                        // Another scheduler at the address this worker's scheduler had: it
                        // gets neither this worker nor its updates.
                        logger.error("welcomed into run \(runID), but this worker belongs to run \(contact.runID ?? "?"); not joining (another scheduler at \(address)?)")
                        tracer?.span("welcome refused", start: TraceEvent.now(), detail: "run \(runID), not \(contact.runID ?? "?")")
                        reply = .errorReply(for: WorkerError.cannotJoin(worker: service.workerID, reason: "it belongs to run \(contact.runID ?? "?"), not \(runID)"))
                    case let .welcome(_, configuration):
                        reply = welcome(configuration)
                    case let .error(code, text) where !isRouter && code == WireError.Kind.notRegistered.rawValue:
                        // A scheduler that restarted does not know this worker: register again.
                        logger.notice("\(address) does not know this worker (\(text)); registering again")
                        contact.notRegistered()
                        reply = nil
                    case .trainTask, .evaluateTask:
                        reply = startTask(envelope.message, replyTo: envelope.id, sender: received.peer)
                    case let .secureAggregation(step) where step.kind.isRequest:
                        do {
                            guard var session = secureAggregation else {
                                throw WorkerError.secureAggregation(worker: service.workerID, reason: "no round in progress")
                            }
                            reply = try session.answer(step, worker: service.workerID)
                            if step.kind == .relayedShares {
                                for left in session.left {
                                    logger.warning("secure aggregation, round \(step.round): left out \(left)")
                                    tracer?.span("secagg left out", start: TraceEvent.now(), detail: left)
                                }
                            }
                            secureAggregation = session.isFinished ? nil : session
                            // A device that leaves in a secure round does so once its masked input is out.
                            leaving = !isRouter && step.kind == .relayedShares && availability.leaves()
                        } catch {
                            // Said here too: a roster this worker will not take part in (keys not
                            // signed by their owners) is the scheduler's doing, not to be hidden.
                            logger.warning("secure aggregation, round \(step.round): \(error)")
                            reply = .errorReply(for: error)
                        }
                    default:
                        reply = service.handle(envelope.message)
                    }
                    if reply != nil { tracer?.span(envelope.message.kindName, start: start, detail: Self.detail(of: envelope.message)) }
                case let .failure(error):
                    logger.notice("undecodable message from \(received.peer): \(error)")
                    replyTo = error.messageID ?? 0
                    reply = .errorReply(for: error)
                }
                if let reply { try send(reply, replyTo: replyTo, to: received.peer) }
            } catch let error as TransportError {
                throw error
            } catch {
                logger.error("a message from \(received.peer) could not be handled: \(error); answering with the error")
                tracer?.span("handler failed", start: TraceEvent.now(), detail: "\(error)", peer: received.peer.description)
                try send(.errorReply(for: error), replyTo: replyTo, to: received.peer)
            }
            if leaving {
                tracer?.span("simulated leave", start: TraceEvent.now(), detail: "away \(availability.away) s after its masked input")
                offlineUntil = Date().addingTimeInterval(availability.away)
                secureAggregation = nil
            }
        }
        if !isRouter && !dismissed { try? send(.bye(reason: "worker stopping"), replyTo: 0, to: nil) }
        channel.close()
        tracer?.flush()
    }

    /// Sets up the federated client from a welcome and answers done (ready) or an error.
    private func welcome(_ configuration: String) -> Message? {
        do {
            let client = try ClientConfiguration(json: configuration)
            trainer = try LocalTrainer(configuration: client)
            logger.info("joined as client \(client.clientIndex) of \(client.clients), \(trainer?.shard.count ?? 0) samples")
            // Loading the full dataset to take a shard is a one-off peak; give it back.
            AllocatorTuning.releaseFreeMemory()
            // Ready: the scheduler welcomes the next workers when this one has loaded its data.
            return .done(objectCount: UInt64(service.store.count), byteCount: UInt64(service.store.byteCount))
        } catch {
            logger.error("cannot join the run: \(error)")
            return .errorReply(for: WorkerError.cannotJoin(worker: service.workerID, reason: "\(error)"))
        }
    }

    /// The store's counts, as `done` replies carry them.
    private var done: Message {
        .done(objectCount: UInt64(service.store.count), byteCount: UInt64(service.store.byteCount))
    }

    /// A train or evaluate task, or a forward, on its own thread, and its reply once it is done.
    private final class BackgroundTask: Sendable {
        let replyTo: UInt64
        let sender: PeerID?
        let kindName: String
        /// A secure train task's hyperparameters (nil: its update is sent as it is).
        let secure: Hyperparameters?
        let start = TraceEvent.now()
        let result = Mutex<Message?>(nil)

        init(replyTo: UInt64, sender: PeerID?, kindName: String, secure: Hyperparameters? = nil) {
            self.replyTo = replyTo
            self.sender = sender
            self.kindName = kindName
            self.secure = secure
        }
    }

    /// Starts a train or evaluate task on its own thread (its reply is sent when it is done);
    /// answers an error instead when there is no run yet or a task is still running.
    private func startTask(_ message: Message, replyTo: UInt64, sender: PeerID?) -> Message? {
        guard let trainer else {
            return .errorReply(for: WorkerError.notJoined(worker: service.workerID, kind: message.kindName))
        }
        guard running == nil else {
            return .errorReply(for: WorkerError.busy(worker: service.workerID, running: running?.kindName ?? "task"))
        }
        var secure: Hyperparameters?
        if case let .trainTask(train) = message {
            secure = (try? JSONDecoder().decode(Hyperparameters.self, from: Data(train.hyperparameters.utf8))).flatMap { $0.secureThreshold > 0 ? $0 : nil }
        }
        let task = BackgroundTask(replyTo: replyTo, sender: sender, kindName: message.kindName, secure: secure)
        running = task
        let (delay, slowdown, tracer) = (trainingDelay, slowdown, tracer)
        let thread = Thread {
            let result: Message
            switch message {
            case let .trainTask(train): result = Self.train(train, on: trainer, delay: delay, slowdown: slowdown, tracer: tracer)
            case let .evaluateTask(evaluate): result = Self.evaluate(evaluate, on: trainer)
            default: result = .errorReply(for: WorkerError.notAccepted(kind: message.kindName, worker: "this"))
            }
            task.result.withLock { $0 = result }
        }
        thread.name = "tessera.task"
        thread.start()
        onTaskStarted(message)
        return nil
    }

    /// Trains a task on the private shard.
    private static func train(_ task: TrainTask, on trainer: LocalTrainer, delay: Double, slowdown: Double,
                              tracer: TraceWriter?) -> Message {
        let start = TraceEvent.now()
        defer { tracer?.span("train", start: start, round: task.round) }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        do {
            let update = try trainer.train(task)
            if slowdown > 1 {
                let trained = TraceEvent.now()
                Thread.sleep(forTimeInterval: (slowdown - 1) * Double(trained - start) / 1e9)
                tracer?.span("simulated slowdown", start: trained, detail: "\(slowdown)x", round: task.round)
            }
            // The task's activations and gradients are free now; with ten workers sharing a
            // machine, idle ones should not hold their training peak (about 60 MB each).
            AllocatorTuning.releaseFreeMemory()
            return .update(update)
        } catch {
            return .errorReply(for: WorkerError.taskFailed(kind: "training", round: task.round, reason: "\(error)"))
        }
    }

    /// Evaluates a global model on the held-out part of the private shard.
    private static func evaluate(_ task: EvaluateTask, on trainer: LocalTrainer) -> Message {
        do {
            let result = try trainer.evaluate(task)
            AllocatorTuning.releaseFreeMemory()
            return .evaluation(result)
        } catch {
            return .errorReply(for: WorkerError.taskFailed(kind: "evaluation", round: task.round, reason: "\(error)"))
        }
    }

    /// Starts putting stored tensor `id` (as it is now) on the worker at `endpoint` as `target`,
    /// in the background (the worker goes on serving meanwhile, itself included); its answer is
    /// relayed when it comes. Answers at once an endpoint not allowed, an unknown id, or a
    /// forward the ``Forwarder`` has no room for.
    private func startForward(_ id: TensorID, to endpoint: String, as target: TensorID, replyTo: UInt64,
                              sender: PeerID?) -> Message? {
        let put: Message, security: ChannelSecurity
        do {
            security = try forwardTargets.security(for: endpoint)
            // A secret share moves as one too.
            put = service.store.holdsRing(id) ? .putShare(id: target, share: try service.store.ring(id))
                : .put(id: target, tensor: try service.store.tensor(id))
        } catch {
            return .errorReply(for: error)
        }
        guard forwarder.enqueue(put, to: endpoint, security: security, replyTo: replyTo, sender: sender) else {
            return .errorReply(for: WorkerError.busy(worker: service.workerID, running: "full line of forwards (\(Forwarder.maximumRunning) running, \(Forwarder.maximumWaiting) waiting)"))
        }
        return nil
    }

    /// A seed from a worker id (FNV-1a), the same in every run: what a worker's simulated link
    /// and availability draw from.
    public static func seed(of id: String) -> UInt64 {
        id.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    private func send(_ message: Message, replyTo: UInt64, to sender: PeerID?) throws {
        defer { nextID += 1; lastSent = Date() }
        do {
            try channel.send(Envelope(id: nextID, replyTo: replyTo, message: message), to: sender)
        } catch let error as WireError {
            // A reply too large for the limits (a huge get) becomes an error reply instead.
            try channel.send(Envelope(id: nextID, replyTo: replyTo, message: .errorReply(for: error)), to: sender)
        } catch let error as TransportError where !isRouter && (error.kind == .notAdmitted || error.kind == .timeout) {
            // The scheduler cannot take messages now (it refused this worker's key, or is
            // gone): say so once, and go on; the message is lost, and --give-up still counts.
            if unreachable != error.description {
                logger.error("\(error.description)")
                tracer?.span("unreachable", start: TraceEvent.now(), detail: error.description)
            }
            unreachable = error.description
        }
    }

    /// What a span records about a request: the ops it ran.
    private static func detail(of message: Message) -> String? {
        switch message {
        case let .exec(step): step.op.name
        case let .plan(steps): steps.map(\.op.name).joined(separator: ",")
        default: nil
        }
    }
}
