import Foundation
import Logging
import TesseraNN
import TesseraTrace
import TesseraTransport
import TesseraWire

extension SchedulerMachine {
    /// Samples round `number`'s workers and sends them its train task.
    func startRound(_ number: Int, at now: Double, into actions: inout [SchedulerAction]) throws {
        guard number <= settings.rounds else { return try end(into: &actions) }
        refusals = []
        membership.loseSilent(at: now, timeout: settings.heartbeatTimeout)
        guard membership.activeCount > 0 else {
            return fail(.everyWorkerLost(round: number, heartbeatTimeout: settings.heartbeatTimeout), into: &actions)
        }
        let sampled: [String]
        if privacy != nil {
            // Poisson sampling, from the secure generator: what the accountant analyses, and a
            // sample nobody can replay from the seed.
            sampled = membership.active.filter { _ in Double(entropy.next() >> 11) / 9_007_199_254_740_992 < settings.fraction }
        } else {
            let count = settings.sampleSize(available: membership.activeCount)
            let shares = shares
            let candidates = membership.candidates { member in
                member.clientIndex.flatMap { index in shares.flatMap { index < $0.training.count ? $0.training[index] : nil } }
                    ?? Int(clamping: member.reportedSamples)
            }
            let chosen = Set(clientSampler.sample(candidates, round: number, count: count, using: &generator))
                .filter(membership.isActive)
            if chosen.isEmpty {
                var uniform = UniformSampler()
                sampled = inReach(uniform.sample(candidates, round: number, count: count, using: &generator).sorted(), of: candidates, count: count)
            } else {
                sampled = inReach(chosen.sorted(), of: candidates, count: count)
            }
        }
        let secure = settings.secureAggregation
            ? SecureAggregationRound(round: number, threshold: settings.secureThreshold(participants: sampled.count),
                                     length: global.scalarCount, neighbours: settings.secureDegree(participants: sampled.count),
                                     deadline: now + settings.deadline)
            : nil
        let task = try EncodedMessage(Envelope(id: takeID(), message: .trainTask(TrainTask(
            round: UInt64(number), modelVersion: UInt64(number - 1),
            hyperparameters: try secure.map { try secureHyperparameters(round: number, threshold: $0.threshold, neighbours: $0.neighbours) }
                ?? hyperparametersText(round: number), parameters: global))),
            codec: codec)
        var round = Round(number: number, start: now, wallStart: wallClock.now, gather: TaskGather(task: task, workers: sampled,
                                                                          deadline: now + realWait), secure: secure)
        if let devices {
            for worker in sampled {
                let seconds = virtualSeconds(ofTaskFor: worker, devices: devices)
                round.virtualSeconds[worker] = seconds
                traceVirtualTask(of: worker, seconds: seconds, round: number)
            }
        }
        dispatch(&round.gather, at: now, into: &actions)
        phase = .training(round)
    }

    /// Sends the gather's task to waiting workers while fewer than `training.max_concurrent`
    /// trainers have it: a process's sampled clients get it in one message (up to
    /// ``maximumRecipients``), which the process hands to each.
    func dispatch<Value>(_ gather: inout TaskGather<Value>, at now: Double, into actions: inout [SchedulerAction]) {
        while gather.busyTrainers < settings.trainerCap {
            let batch = gather.dispatch(at: now, maximum: Self.maximumRecipients) { membership.peer(of: $0) }
            guard let first = batch.first else { return }
            guard batch.count > 1, let peer = membership.peer(of: first) else {
                send(gather.task, to: first, into: &actions)
                continue
            }
            do {
                let message = try gather.task.addressed(toClients: batch, codec: codec)
                lastSent[peer.bytes] = clock.now
                actions.append(.send(message, to: PeerID(bytes: peer.bytes)))
            } catch {
                // Ids too long for one message together: each is sent its own.
                for worker in batch { send(gather.task, to: worker, into: &actions) }
            }
        }
    }

    /// The most hosted clients one task message is for.
    static let maximumRecipients = 1_000

    /// A message from `worker` that is not about joining: an answer to the task in progress,
    /// or nothing to act on (a heartbeat, a stray or late reply).
    func answer(_ envelope: Envelope, from worker: String, at now: Double, into actions: inout [SchedulerAction]) throws {
        // The round is changed while out of `phase` (and before a switch over it, which would
        // hold a copy): else its answers, the round's updates, would be copied on each one.
        if var round = takeTraining(pendingFor: worker, replyTo: envelope.replyTo) {
            let handled: Bool
            do {
                handled = try answerTraining(envelope, from: worker, round: &round, into: &actions)
            } catch {
                phase = .training(round)
                throw error
            }
            if handled { dispatch(&round.gather, at: now, into: &actions) }
            phase = .training(round)
            if handled { try closeIfDue(at: now, into: &actions) }
            return
        }
        // The same for an evaluation's gather: a held-out evaluation asks every worker, and a
        // copy of ten thousand answers on each was most of the scheduler's time.
        if case (let round, var gather)? = takeEvaluation(pendingFor: worker, replyTo: envelope.replyTo) {
            let handled: Bool
            do {
                handled = try answerEvaluation(envelope, from: worker, round: round, gather: &gather, into: &actions)
            } catch {
                phase = .evaluating(round, gather)
                throw error
            }
            if handled { dispatch(&gather, at: now, into: &actions) }
            phase = .evaluating(round, gather)
            if handled { try closeIfDue(at: now, into: &actions) }
            return
        }
        switch phase {
        case let .securing(round):
            try answerSecurely(envelope, from: worker, round: round, at: now, into: &actions)
        case var .asynchronous(run):
            try answerAsynchronously(envelope, from: worker, run: &run, at: now, into: &actions)
            if case .asynchronous = phase { phase = .asynchronous(run) }
        default:
            try refuseStray(envelope, from: worker, into: &actions)
        }
    }

    /// The round in training, taken out of `phase` (which is left `.ended` until it is put
    /// back), when `worker` owes an answer to its task (the message `replyTo`, when given); nil
    /// (and `phase` untouched) otherwise.
    func takeTraining(pendingFor worker: String, replyTo: UInt64? = nil) -> Round? {
        guard case let .training(round) = phase, round.gather.isPending(worker),
              replyTo.map({ $0 == round.gather.taskID }) ?? true else { return nil }
        phase = .ended
        return round
    }

    /// The round in federated evaluation and its gather, taken out of `phase` as
    /// ``takeTraining(pendingFor:replyTo:)`` takes a round in training.
    func takeEvaluation(pendingFor worker: String, replyTo: UInt64? = nil) -> (Round, TaskGather<EvaluationResult>)? {
        guard case let .evaluating(round, gather) = phase, gather.isPending(worker),
              replyTo.map({ $0 == gather.taskID }) ?? true else { return nil }
        phase = .ended
        return (round, gather)
    }

    /// An answer to the evaluate task of `round` from a worker `gather` waits for: its result
    /// (kept, or refused with an error reply), or an error. Returns false for a message that
    /// is neither (nothing to act on).
    private func answerEvaluation(_ envelope: Envelope, from worker: String, round: Round,
                                  gather: inout TaskGather<EvaluationResult>, into actions: inout [SchedulerAction]) throws -> Bool {
        switch envelope.message {
        case let .evaluation(result) where FederatedEvaluation.isUsable(result, round: round.number,
                                                                         maximumSamples: heldOutLimit(of: worker)):
            gather.accept(result, from: worker)
        case .evaluation:
            logger.warning("round \(round.number): unusable evaluation from \(worker)")
            tracer?.span("rejected evaluation", start: TraceEvent.now(), round: UInt64(round.number), peer: worker)
            try send(Envelope(id: takeID(), replyTo: envelope.id, message: .error(
                code: WireError.Kind.requestFailed.rawValue,
                message: "evaluation from \(worker) cannot be used: it must answer round \(round.number) with 1 to \(heldOutLimit(of: worker).map(String.init) ?? "2^31-1") samples, at most that many right, and a finite loss ≥ 0")),
                to: worker, into: &actions)
            gather.fail(worker, "its evaluation was refused")
        case let .error(_, text):
            gather.fail(worker, "it answered with an error (\(text))")
        default:
            return false
        }
        return true
    }

    /// An answer to the train task of `round` from a worker it waits for: its update (checked,
    /// then kept or refused with an error reply), its keys, or an error. Returns false for a
    /// message that is none of these (nothing to act on).
    private func answerTraining(_ envelope: Envelope, from worker: String, round: inout Round,
                                into actions: inout [SchedulerAction]) throws -> Bool {
        switch envelope.message {
        case let .secureAggregation(step) where round.secure != nil:
            try acceptKeys(step, from: worker, replyTo: envelope.id, round: &round, into: &actions)
        case let .update(update):
            do {
                guard round.secure == nil else {
                    throw SchedulerError.unusableUpdate(worker: worker, reason: "it came in the clear, and round \(round.number) is secure: answer with keys (docs/PROTOCOL.md, \"Secure aggregation\")")
                }
                try checkClaims(of: update, from: worker, round: round.number)
                // Measured when the round closes: averaging as it goes, or, in a private round,
                // clipping (a change that is not finite is refused then).
                let validated = try ValidatedUpdate(update, from: worker, global: global, measuringChange: false)
                round.gather.accept(.update(validated, messageID: envelope.id), from: worker)
                actions.append(.progress(round: round.number, accepted: round.gather.answers.count,
                                         sampled: round.gather.workers.count))
            } catch {
                noteRefusal(error)
                logger.warning("round \(round.number): \(error)")
                tracer?.span("rejected update", start: TraceEvent.now(), detail: "\(error)", round: UInt64(round.number), peer: worker)
                try send(Envelope(id: takeID(), replyTo: envelope.id, message: .errorReply(for: error)), to: worker, into: &actions)
                round.gather.fail(worker, "its update was refused (\(error))")
            }
        case let .error(_, text):
            round.gather.fail(worker, "it answered with an error (\(text))")
        default:
            return false
        }
        return true
    }

    /// Closes the training or evaluation in progress when complete or past its deadline.
    func closeIfDue(at now: Double, into actions: inout [SchedulerAction]) throws {
        switch phase {
        case var .training(round) where round.gather.isComplete || now >= round.gather.deadline:
            // Sampled workers that neither answered nor were heard from lately are lost.
            membership.loseSilent(at: now, timeout: settings.heartbeatTimeout)
            if round.secure != nil { return try beginSecureSteps(round, at: now, into: &actions) }
            var answers = round.gather.workers.compactMap { worker in
                if case let .update(update, messageID)? = round.gather.answers[worker] { (update, messageID) } else { nil }
            }
            if devices != nil { answers = keepInVirtualTime(answers, round: round) }
            // The aggregation's span starts here: screening reads and sums every update (the
            // average it makes is the one the strategy takes when none is refused).
            let start = TraceEvent.now()
            let started = wallClock.now
            // A private round's clip bounds every update already; screening by the others' changes
            // would make whether one counts depend on the others' data, which the accountant
            // does not analyse.
            var (updates, average) = privacy != nil ? (answers.map(\.0), nil)
                : try screenChanges(of: answers, round: round.number, into: &actions)
            // A private round always releases its noised sum, however few answered: whether it
            // did must not depend on who took part.
            round.aggregated = privacy != nil || updates.count >= settings.quorum
            if round.aggregated {
                // A private run's strategy is a PrivateStrategy: it clips, noises and averages.
                var done: PrivateAggregation.Round?
                round.aggregated = try stepGlobal(round: round.number) { strategy in
                    if let average { return try strategy.aggregate(global: global, average: average) }
                    let next = try strategy.aggregate(global: global, updates: updates)
                    done = (strategy as? PrivateStrategy)?.lastRound
                    return next
                }
                if let privacy {
                    updates = try keptPrivately(answers, leftOut: done?.leftOut ?? [], round: round.number, into: &actions)
                    chargePrivateRound(into: &actions)
                    round.privacy = RoundResult.PrivacySummary(epsilon: budget.epsilon(delta: settings.delta), delta: settings.delta,
                                                               clip: done?.clip ?? privacy.clip, clipped: done?.clipped, noise: done?.noise ?? 0,
                                                               localEpsilon: budget.localEpsilon(delta: settings.delta),
                                                               rdpEpsilon: budget.rdpEpsilon(delta: settings.delta))
                }
                tracer?.span("aggregate", start: start, detail: "\(updates.count) updates", round: UInt64(round.number))
            }
            round.aggregationSeconds = wallClock.now - started
            round.received = updates.count
            round.contributors = updates.map(\.workerID)
            round.trainLoss = RoundResult.meanTrainingLoss(updates.map { ($0.metrics["loss"], $0.sampleCount) })
            try evaluateRound(round, at: now, into: &actions)
        case let .securing(round) where round.secure.map({ $0.isComplete || now >= $0.deadline }) == true:
            try advanceSecurely(round, at: now, into: &actions)
        case let .evaluating(round, gather) where gather.isComplete || now >= gather.deadline:
            try finish(round, federated: FederatedEvaluation(gather.workers.compactMap { gather.answers[$0] }), into: &actions)
        default:
            return
        }
    }

    /// Asks the driver to evaluate the model `round` made on the test set; the round waits for
    /// ``evaluated(_:)``. Only every `training.evaluate_every`-th round is evaluated, and the
    /// last (the run's last round, or the one after which its time is up); the others are
    /// reported as they close, without an evaluation.
    func evaluateRound(_ round: Round, at now: Double, into actions: inout [SchedulerAction]) throws {
        guard round.number % settings.evaluateEvery == 0 || round.number >= settings.rounds || timeIsUp else {
            return try finish(round, federated: nil, into: &actions)
        }
        var round = round
        round.evaluationStart = wallClock.now
        actions.append(.evaluate(global, round: round.number))
        phase = .centralEvaluation(round)
    }

    /// With the test set's evaluation of `round`'s model in hand: sends the model to the
    /// workers to evaluate on their held-out data, or reports the round.
    func continueAfterCentralEvaluation(_ round: Round, into actions: inout [SchedulerAction]) throws {
        guard settings.heldOut > 0 else { return try finish(round, federated: nil, into: &actions) }
        let task = try EncodedMessage(Envelope(id: takeID(), message: .evaluateTask(EvaluateTask(
            round: UInt64(round.number), parameters: global))), codec: codec)
        var gather = TaskGather<EvaluationResult>(task: task, workers: membership.active,
                                                  deadline: clock.now + settings.deadline)
        dispatch(&gather, at: clock.now, into: &actions)
        phase = .evaluating(round, gather)
        try closeIfDue(at: clock.now, into: &actions)
    }

    /// Reports `round` and starts the next, or ends the run after the last.
    func finish(_ round: Round, federated: FederatedEvaluation?, into actions: inout [SchedulerAction]) throws {
        let now = clock.now
        let sampled = round.gather.workers.count
        if devices != nil {
            tracer?.span("virtual round", start: TraceEvent.now(), round: UInt64(round.number),
                         virtual: VirtualSpan(start: virtualTime, end: virtualTime + virtualLength(of: round)))
            virtualTime += virtualLength(of: round)
        }
        var result = RoundResult(
            round: round.number, sampled: sampled, received: round.received, late: sampled - round.received,
            aggregated: round.aggregated, accuracy: round.central?.accuracy, loss: round.central?.loss,
            seconds: wallClock.now - round.wallStart, evaluationSeconds: round.evaluationStart.map { wallClock.now - $0 },
            aggregationSeconds: round.aggregationSeconds, federated: federated,
            custom: round.central.flatMap { $0.metrics.isEmpty ? nil : $0.metrics },
            trainLoss: round.trainLoss, contributors: round.contributors, privacy: round.privacy, secure: round.secureSummary,
            outsideEpsilon: privacy != nil && !settings.privateMetrics ? RoundResult.fieldsOutsideEpsilon : [],
            withheld: privacy != nil && settings.privateMetrics ? RoundResult.fieldsOutsideEpsilon : [])
        if devices != nil { (result.virtualSeconds, result.virtualTime) = (virtualLength(of: round), virtualTime) }
        results.append(result)
        actions.append(.roundCompleted(result, checkpoint: checkpoint(round: round.number)))
        if round.number == 1 && round.received == 0 && sampled > 0 {
            return fail(.noUpdates(round: 1, sampled: sampled, deadline: settings.deadline, refusals: refusals), into: &actions)
        }
        // A round not evaluated was not the last: its time was not up when it closed.
        if round.central != nil && timeIsUp {
            logger.notice("stopping after round \(round.number): \(settings.maxSeconds) s (training.max_seconds) have passed")
            return try end(into: &actions)
        }
        try startRound(round.number + 1, at: now, into: &actions)
    }

    /// Charges a private round released, and asks the driver to commit the spending before
    /// anything else it is asked to do (which may release the round's model).
    func chargePrivateRound(into actions: inout [SchedulerAction]) {
        budget.charge(settings)
        actions.append(.commitPrivacy(budget.metadata))
    }

    /// The checkpoint of the current model after round (or server step) `round`.
    func checkpoint(round: Int) -> Checkpoint {
        Checkpoint(parameters: global, optimizer: strategy.state,
                   metadata: ["round": String(round), "seed": String(settings.seed), "model": settings.model.name,
                              "architecture": architecture, "mode": settings.mode.rawValue, "sampler": generator.snapshot]
                       .merging(privacy.map { budget.metadata.merging(["clip": String($0.clip)]) { first, _ in first } } ?? [:]) { first, _ in first }
                       .merging(devices.map { _ in ["virtualTime": String(virtualTime)] } ?? [:]) { first, _ in first })
    }

    /// Tells every worker the run is over, and ends it: a process hosting clients hears it once,
    /// as itself, for all of them.
    func end(into actions: inout [SchedulerAction]) throws {
        let (workers, processes) = membership.farewells
        for id in workers {
            try send(Envelope(id: takeID(), message: .bye(reason: "run finished")), to: id, into: &actions)
        }
        for process in processes {
            actions.append(.send(try EncodedMessage(Envelope(id: takeID(), message: .bye(reason: "run finished")), codec: codec), to: process))
        }
        phase = .ended
        actions.append(.finished)
    }
}
