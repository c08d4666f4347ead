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
    private func takeTraining(pendingFor worker: String, replyTo: UInt64? = nil) -> Round? {
        guard case let .training(round) = phase, round.gather.isPending(worker),
              replyTo.map({ $0 == round.gather.taskID }) ?? true else { return nil }
        phase = .ended
        return round
    }

    /// The round in federated evaluation and its gather, taken out of `phase` as
    /// ``takeTraining(pendingFor:replyTo:)`` takes a round in training.
    private func takeEvaluation(pendingFor worker: String, replyTo: UInt64? = nil) -> (Round, TaskGather<EvaluationResult>)? {
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

    /// Checks what an update claims against what is known: the round and model version of the
    /// task it answers, and at most the samples the worker's share holds (or that it registered).
    ///
    /// - Throws: ``SchedulerError`` (`.unusableUpdate`) saying which claim is wrong.
    func checkClaims(of update: TrainUpdate, from worker: String, round: Int) throws {
        guard update.round == UInt64(round), update.modelVersion == UInt64(round - 1) else {
            throw SchedulerError.unusableUpdate(worker: worker, reason: "it answers round \(update.round), model version \(update.modelVersion); the task was round \(round), model version \(round - 1)")
        }
        if let limit = trainingLimit(of: worker), update.sampleCount > limit {
            throw SchedulerError.unusableUpdate(worker: worker, reason: "it claims \(update.sampleCount) samples; its share holds \(limit)")
        }
    }

    /// The most samples `worker` can have trained on: what it registered, when it brought data of
    /// its own; else its share of the run's data, when known.
    func trainingLimit(of worker: String) -> UInt64? {
        guard let member = membership.registration(of: worker) else { return nil }
        if member.reportedSamples > 0 { return min(member.reportedSamples, sampleCap ?? .max) }
        return trainingShare(of: worker) ?? sampleCap
    }

    /// The size of the share of the run's data the scheduler gave `worker`; nil when it brought
    /// data of its own, or no split is known.
    func trainingShare(of worker: String) -> UInt64? {
        guard let member = membership.registration(of: worker), member.reportedSamples == 0, let shares,
              let index = member.clientIndex, shares.training.indices.contains(index) else { return nil }
        return UInt64(shares.training[index])
    }

    /// The most samples any worker may register or claim: `training.max_samples_per_update`,
    /// else the largest client share of the run's data when known, else no bound (nil).
    static func sampleCap(settings: RunSettings, shares: ShareSizes?) -> UInt64? {
        if settings.maxSamplesPerUpdate > 0 { return UInt64(settings.maxSamplesPerUpdate) }
        return shares?.training.max().map(UInt64.init)
    }

    /// The round's updates whose change from the global model is within the ``ChangeBound``
    /// (judged together), in order; each beyond it (or holding a value that is not finite) is
    /// refused with an error reply saying why. Changes not yet measured are measured while the
    /// updates are averaged, when the strategy aggregates the average only: that average comes
    /// back too when every update is kept.
    func screenChanges(of answers: [(update: ValidatedUpdate, messageID: UInt64)], round: Int,
                       into actions: inout [SchedulerAction]) throws -> (kept: [ValidatedUpdate], average: ParameterSet?) {
        var average: ParameterSet?
        let norms: [Double]
        if strategy.aggregatesTheAverageOnly, answers.contains(where: { $0.update.changeNorm == nil }) {
            let measured = try FederatedAveraging.aggregate(answers.map(\.update), measuringChangesFrom: global)
            average = measured.average
            // A delta's norm, measured as it came, stands: the same change whatever came beside it.
            norms = try Self.overflowsMarked(zip(answers, measured.changeNorms).map { ($0.update, $0.update.changeNorm ?? $1) },
                                             average: measured.average)
        } else {
            norms = try answers.map { try $0.update.changeNorm(from: global) }
        }
        let changes = zip(answers, norms).map { answer, norm in
            ChangeBound.Change(norm: norm, steps: localSteps(claiming: answer.update.sampleCount, for: answer.update.workerID))
        }
        let (limits, accepted) = changeBound.judge(changes)
        var kept: [ValidatedUpdate] = []
        for (answer, (change, (limit, isAccepted))) in zip(answers, zip(changes, zip(limits, accepted))) {
            guard !isAccepted else {
                kept.append(answer.update)
                continue
            }
            try refuse(answer, because: changeRefusal(change, limit: limit), round: round, into: &actions)
        }
        return (kept, kept.count == answers.count ? average : nil)
    }

    /// Refuses `answer`'s update when its round closes, with an error reply saying `reason`.
    func refuse(_ answer: (update: ValidatedUpdate, messageID: UInt64), because reason: String, round: Int,
                into actions: inout [SchedulerAction]) throws {
        let error = SchedulerError.unusableUpdate(worker: answer.update.workerID, reason: reason)
        noteRefusal(error)
        logger.warning("round \(round): \(error)")
        tracer?.span("rejected update", start: TraceEvent.now(), detail: "\(error)", round: UInt64(round), peer: answer.update.workerID)
        try send(Envelope(id: takeID(), replyTo: answer.messageID, message: .errorReply(for: error)), to: answer.update.workerID,
                 into: &actions)
    }

    /// The updates of a private round the mechanism summed: each whose change was not finite
    /// (it cannot be clipped, and was left out) is refused, saying why.
    func keptPrivately(_ answers: [(update: ValidatedUpdate, messageID: UInt64)], leftOut: [String], round: Int,
                       into actions: inout [SchedulerAction]) throws -> [ValidatedUpdate] {
        guard !leftOut.isEmpty else { return answers.map(\.update) }
        let refused = Set(leftOut)
        for answer in answers where refused.contains(answer.update.workerID) {
            try refuse(answer, because: "its change is not finite", round: round, into: &actions)
        }
        return answers.map(\.update).filter { !refused.contains($0.workerID) }
    }

    /// The norms of `measured` updates, infinite for each change kept as it came whose model
    /// (the change added to the global model) is not finite though the change is. Only such a
    /// model, or a norm that is not finite, makes the `average` not finite (the weights sum to
    /// 1), so they are looked for only then.
    static func overflowsMarked(_ measured: [(update: ValidatedUpdate, norm: Double)], average: ParameterSet) throws -> [Double] {
        let keptChanges = measured.contains { if case .change = $0.update.content { true } else { false } }
        guard keptChanges, !average.l2Norm().isFinite else { return measured.map(\.norm) }
        return try measured.map { update, norm in
            guard case .change = update.content else { return norm }
            return try update.parameters.l2Norm().isFinite ? norm : .infinity
        }
    }

    /// Checks `update`'s change from `base`, the model it trained from, against the
    /// ``ChangeBound`` on its own (an asynchronous update).
    ///
    /// - Throws: ``SchedulerError`` (`.unusableUpdate`) when it is beyond the bound.
    func checkChange(of update: ValidatedUpdate, trainedFrom base: ParameterSet) throws {
        let change = ChangeBound.Change(norm: try update.changeNorm(from: base),
                                        steps: localSteps(claiming: update.sampleCount, for: update.workerID))
        let (limits, accepted) = changeBound.judge([change])
        guard accepted[0] else {
            throw SchedulerError.unusableUpdate(worker: update.workerID, reason: changeRefusal(change, limit: limits[0]))
        }
    }

    /// The local training behind an update claiming `samples`, in full-batch SGD steps (what the
    /// ``ChangeBound`` allows for). A worker given a share of the run's data trains on all of it
    /// each of E epochs: ⌊share / B⌋ full batches and, when B does not divide the share, one of
    /// r = share mod B samples, which counts B / r steps (a mean over r samples is that many
    /// times noisier than one over B), so a client of 11 samples is not refused for its last
    /// batch of one; its claim does not enter. Any other claim, bounded by
    /// `training.max_samples_per_update`, counts ⌈samples / B⌉ · E plain steps: counting a short
    /// last batch as more would let a smaller claim widen its own bound. A claim that only the
    /// worker's own word bounds (it registered data of its own, and no cap is known) counts as
    /// one step.
    func localSteps(claiming samples: UInt64, for worker: String) -> Double {
        guard let member = membership.registration(of: worker) else { return 1 }
        let batch = UInt64(max(1, settings.batchSize)), epochs = Double(max(1, settings.localEpochs))
        if let share = trainingShare(of: worker) {
            let (whole, rest) = share.quotientAndRemainder(dividingBy: batch)
            return max(1, Double(whole) + (rest > 0 ? Double(batch) / Double(rest) : 0)) * epochs
        }
        guard let bound = member.reportedSamples > 0 ? sampleCap : trainingLimit(of: worker) else { return 1 }
        let (whole, rest) = min(samples, bound).quotientAndRemainder(dividingBy: batch)
        return Double(max(1, whole + (rest > 0 ? 1 : 0))) * epochs
    }

    /// Why `change` is refused when `limit` is the most its steps allow.
    private func changeRefusal(_ change: ChangeBound.Change, limit: Double) -> String {
        guard change.norm.isFinite else { return "its change is not finite, or not once added to the global model" }
        let steps = change.steps == 1 ? "1 local step" : String(format: "local training worth %.3g full-batch steps", change.steps)
        return "its change has norm \(String(format: "%.4g", change.norm)) after \(steps), more than the \(String(format: "%.4g", limit)) allowed: \(String(format: "%g", settings.maxChangeRatio)) times the median of the changes beside it, per square root of a step (training.max_change_ratio)"
    }

    /// The most samples `worker` can have evaluated: its held-out share, when known (a worker
    /// with data of its own holds out part of what it registered).
    func heldOutLimit(of worker: String) -> UInt64? {
        guard let member = membership[worker] else { return nil }
        if member.reportedSamples > 0 { return min(member.reportedSamples, sampleCap ?? .max) }
        guard let shares, let index = member.clientIndex, shares.heldOut.indices.contains(index) else { return nil }
        return UInt64(shares.heldOut[index])
    }

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
    /// ``evaluated(_:)``.
    func evaluateRound(_ round: Round, at now: Double, into actions: inout [SchedulerAction]) throws {
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
            aggregated: round.aggregated, accuracy: round.central.accuracy, loss: round.central.loss,
            seconds: wallClock.now - round.wallStart, evaluationSeconds: wallClock.now - round.evaluationStart, federated: federated,
            custom: round.central.metrics.isEmpty ? nil : round.central.metrics,
            trainLoss: round.trainLoss, contributors: round.contributors, privacy: round.privacy, secure: round.secureSummary,
            outsideEpsilon: privacy != nil && !settings.privateMetrics ? RoundResult.fieldsOutsideEpsilon : [],
            withheld: privacy != nil && settings.privateMetrics ? RoundResult.fieldsOutsideEpsilon : [])
        if devices != nil { (result.virtualSeconds, result.virtualTime) = (virtualLength(of: round), virtualTime) }
        results.append(result)
        actions.append(.roundCompleted(result, checkpoint: checkpoint(round: round.number)))
        if round.number == 1 && round.received == 0 && sampled > 0 {
            return fail(.noUpdates(round: 1, sampled: sampled, deadline: settings.deadline, refusals: refusals), into: &actions)
        }
        if settings.maxSeconds > 0, let trainingStart, wallClock.now - trainingStart >= settings.maxSeconds {
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
