import Foundation
import TesseraTrace
import TesseraTransport
import TesseraWire

extension ClientMachine {
    /// A message came from `peer` (or could not be decoded). Nothing in one message ends the
    /// client: what it cannot take is answered with an error.
    public func handle(_ received: Result<Envelope, WireError>, from peer: PeerID?) -> [ClientAction] {
        // A simulated device that is away hears nothing.
        guard !isOffline else { return [] }
        let envelope: Envelope
        switch received {
        case let .success(decoded):
            envelope = decoded
        case let .failure(error):
            logger.notice("undecodable message from \(peer.map(\.description) ?? "the scheduler"): \(error)")
            return [send(.errorReply(for: error), replyTo: error.messageID ?? 0, to: peer)]
        }
        let connected = connection == .connected
        if connected { contact.heard(at: clock.now) }
        let start = TraceEvent.now()
        let reply: Message
        switch envelope.message {
        case let .bye(reason) where connected:
            logger.info("dismissed by \(scheduler): \(reason)")
            dismissed = true
            return [.dismissed(reason: reason)]
        case let .error(code, text) where connected && code == WireError.Kind.notRegistered.rawValue:
            // A scheduler that restarted does not know this worker: register again.
            logger.notice("\(scheduler) does not know this worker (\(text)); registering again")
            contact.notRegistered()
            return []
        case let .welcome(runID, _) where connected && !contact.admits(run: setup.shared(run: runID)):
            // Another scheduler at the address this worker's scheduler had: it gets neither
            // this worker nor its updates.
            let own = contact.runID ?? "?"
            logger.error("welcomed into run \(runID), but this worker belongs to run \(own); not joining (another scheduler at \(scheduler)?)")
            tracer?.span("welcome refused", start: TraceEvent.now(), detail: "run \(runID), not \(own)")
            reply = .errorReply(for: WorkerError.cannotJoin(worker: workerID, reason: "it belongs to run \(own), not \(runID)"))
        case let .welcome(_, configuration):
            reply = welcome(configuration)
        case .trainTask, .evaluateTask:
            return startTask(envelope, from: peer)
        case let .secureAggregation(step) where step.kind.isRequest:
            reply = secureStep(step)
        default:
            return [.serve(envelope, from: peer)]
        }
        tracer?.span(envelope.message.kindName, start: start)
        return [send(reply, replyTo: envelope.id, to: peer)]
    }

    /// Sets up the client from a welcome: done (ready), or the error that keeps it out.
    private func welcome(_ configuration: String) -> Message {
        do {
            let client = try setup.welcomes.configuration(from: configuration)
            if let admission = setup.admission, client.localNormalization == .none {
                // Checked, and no trainer kept: one is made for each task.
                try admission.admit(client)
                joinedIndex = client.clientIndex
                logger.debug("joined as client \(client.clientIndex) of \(client.clients)")
            } else {
                let trainer = try setup.makeTrainer(client)
                (joined, self.trainer) = (trainer.configuration, trainer)
                // One line per process would be a million for a million hosted clients.
                logger.log(level: hosted ? .debug : .info, "joined as client \(client.clientIndex) of \(client.clients), \(trainer.shard.count) samples")
            }
            // Ready: the scheduler welcomes the next workers when this one has loaded its data.
            return .done(objectCount: 0, byteCount: 0)
        } catch {
            logger.error("cannot join the run: \(error)")
            return .errorReply(for: WorkerError.cannotJoin(worker: workerID, reason: "\(error)"))
        }
    }

    /// Hands a train or evaluate task to the driver; answers an error instead when there is no
    /// run yet or a task is still running.
    private func startTask(_ envelope: Envelope, from peer: PeerID?) -> [ClientAction] {
        let message = envelope.message
        guard joined != nil || joinedIndex != nil else {
            return [send(.errorReply(for: WorkerError.notJoined(worker: workerID, kind: message.kindName)), replyTo: envelope.id, to: peer)]
        }
        if let running {
            return [send(.errorReply(for: WorkerError.busy(worker: workerID, running: running.kindName)), replyTo: envelope.id, to: peer)]
        }
        var secure: Hyperparameters?
        var round: UInt64 = 0
        var trains = false
        switch message {
        case let .trainTask(train):
            (round, trains) = (train.round, true)
            secure = (try? JSONDecoder().decode(Hyperparameters.self, from: Data(train.hyperparameters.utf8)))
                .flatMap { $0.secureThreshold > 0 ? $0 : nil }
        case let .evaluateTask(evaluate):
            round = evaluate.round
        default:
            break
        }
        running = RunningTask(replyTo: envelope.id, sender: peer, kindName: message.kindName, trains: trains, round: round,
                              secure: secure)
        let (makeTrainer, admission, joined, index) = (setup.makeTrainer, setup.admission, joined, joinedIndex)
        let task = if let trainer {
            ClientTask(message: message) { trainer }
        } else {
            ClientTask(message: message) {
                if let joined { return try makeTrainer(joined) }
                guard let admission, let index else { throw WorkerError.notJoined(worker: "client", kind: message.kindName) }
                return try makeTrainer(admission.configuration(ofClient: index))
            }
        }
        return [.startTask(task)]
    }

    /// Answers a secure aggregation request from the round's session.
    private func secureStep(_ step: SecureAggregationStep) -> Message {
        do {
            guard var session = secureAggregation else {
                throw WorkerError.secureAggregation(worker: workerID, reason: "no round in progress")
            }
            let reply = try session.answer(step, worker: workerID)
            if step.kind == .relayedShares {
                for left in session.left {
                    logger.warning("secure aggregation, round \(step.round): left out \(left)")
                    tracer?.span("secagg left out", start: TraceEvent.now(), detail: left)
                }
            }
            secureAggregation = session.isFinished ? nil : session
            // A device that leaves in a secure round does so once its masked input is out.
            if connection == .connected && step.kind == .relayedShares && deviceLeaves() {
                tracer?.span("simulated leave", start: TraceEvent.now(), detail: "away \(device.availability.away) s after its masked input")
                offlineUntil = clock.now + device.availability.away
                secureAggregation = nil
            }
            return reply
        } catch {
            // Said here too: a roster this worker will not take part in (keys not signed by
            // their owners) is the scheduler's doing, not to be hidden.
            logger.warning("secure aggregation, round \(step.round): \(error)")
            return .errorReply(for: error)
        }
    }
}
