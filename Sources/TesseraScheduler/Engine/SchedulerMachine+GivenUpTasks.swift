import Logging
import TesseraTrace
import TesseraWire

// Tasks given up: a worker's that fell silent, whose process exited, or that failed; and the
// answers that come for them (or for no task) afterwards.

extension SchedulerMachine {
    /// Tells `worker` why an update or evaluation it sent is not used: its task was given up
    /// (and why), or it answers no task in progress (late, or never asked). Other messages need
    /// no answer.
    func refuseStray(_ envelope: Envelope, from worker: String, into actions: inout [SchedulerAction]) throws {
        guard envelope.message.isTaskAnswer else { return }
        let cause: String
        if let reason = givenUpReason(of: worker, replyTo: envelope.replyTo) {
            cause = "its task was given up: \(reason); a task takes one answer (docs/PROTOCOL.md, \"Rounds\")"
        } else {
            cause = "it answers no task in progress: it came after its round closed, or was not asked for"
        }
        logger.info("\(envelope.message.kindName) from \(worker) not used: \(cause)")
        try send(Envelope(id: takeID(), replyTo: envelope.id, message: .error(
            code: WireError.Kind.requestFailed.rawValue,
            message: "\(envelope.message.kindName) for round \(envelope.message.round) not used: \(cause)")),
            to: worker, into: &actions)
    }

    /// Why `worker`'s part in the task that message `replyTo` is, in the phase in progress, was
    /// given up; nil when it was not (or the message answers another task).
    func givenUpReason(of worker: String, replyTo: UInt64) -> String? {
        switch phase {
        case let .training(round) where round.gather.taskID == replyTo: round.gather.failures[worker]
        case let .evaluating(_, gather) where gather.taskID == replyTo: gather.failures[worker]
        case let .asynchronous(run): run.givenUp[worker].flatMap { $0.messageID == replyTo ? $0.reason : nil }
        default: nil
        }
    }

    /// Counts `worker`'s part in the task in progress as failed (garbage, a restart), and
    /// sends the task to the next one waiting.
    func failTask(of worker: String, because reason: String, at now: Double, into actions: inout [SchedulerAction]) throws {
        // Taken out of `phase` to be changed, as an answer is (a host lost with thousands of
        // clients fails each one's task).
        if var round = takeTraining(pendingFor: worker) {
            round.gather.fail(worker, reason)
            dispatch(&round.gather, at: now, into: &actions)
            phase = .training(round)
        } else if case (let round, var gather)? = takeEvaluation(pendingFor: worker) {
            gather.fail(worker, reason)
            dispatch(&gather, at: now, into: &actions)
            phase = .evaluating(round, gather)
        } else {
            try failOtherTask(of: worker, because: reason, at: now, into: &actions)
            return
        }
        try closeIfDue(at: now, into: &actions)
    }

    /// Fails the tasks of `workers`, whose process is gone, in whatever is in progress: those
    /// sent, and those not sent yet (sending them would only wait out the process's silence).
    func failTasks(ofGone workers: [String], because reason: String, at now: Double, into actions: inout [SchedulerAction]) throws {
        switch phase {
        case var .training(round):
            phase = .ended
            for worker in workers where round.gather.isWaiting(worker) { round.gather.fail(worker, reason) }
            phase = .training(round)
        case .evaluating(let round, var gather):
            phase = .ended
            for worker in workers where gather.isWaiting(worker) { gather.fail(worker, reason) }
            phase = .evaluating(round, gather)
        default:
            break
        }
        for worker in workers where !hasEnded { try failTask(of: worker, because: reason, at: now, into: &actions) }
        if !hasEnded { try closeIfDue(at: now, into: &actions) }
    }

    /// ``failTask(of:because:at:into:)`` for a secure round's steps and an asynchronous run.
    private func failOtherTask(of worker: String, because reason: String, at now: Double, into actions: inout [SchedulerAction]) throws {
        switch phase {
        case var .securing(round) where round.secure?.isPending(worker) == true:
            round.secure?.fail(worker)
            phase = .securing(round)
        case var .asynchronous(run):
            try failAsynchronousTask(of: worker, because: reason, run: &run, at: now, into: &actions)
            if case .asynchronous = phase { phase = .asynchronous(run) }
            return
        default:
            return
        }
        try closeIfDue(at: now, into: &actions)
    }

    /// Workers sent the task and silent (no answer, no heartbeat) for the heartbeat timeout
    /// are lost; the task goes to the next ones.
    func checkSilence(at now: Double, into actions: inout [SchedulerAction]) throws {
        let cutoff = now - settings.heartbeatTimeout
        func silent<Value>(_ gather: TaskGather<Value>) -> [String] {
            gather.pending.filter { max(gather.sentAt[$0] ?? now, membership.lastSeen($0) ?? now) < cutoff }
        }
        let workers: [String] = switch phase {
        case let .training(round): silent(round.gather)
        case let .securing(round):
            round.secure.map { secure in
                secure.pending.filter { max(secure.asked[$0]?.at ?? now, membership.lastSeen($0) ?? now) < cutoff }
            } ?? []
        case let .evaluating(_, gather): silent(gather)
        default: []
        }
        for worker in workers {
            logger.warning("worker \(worker) is silent for \(settings.heartbeatTimeout) s \(activity); leaving it out")
            membership.lose(worker)
            tracer?.span("silent worker", start: TraceEvent.now(), detail: activity, peer: worker)
            try failTask(of: worker, because: "it was silent for \(settings.heartbeatTimeout) s", at: now, into: &actions)
        }
    }
}
