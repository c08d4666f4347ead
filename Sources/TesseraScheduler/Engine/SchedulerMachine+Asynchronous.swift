import Foundation
import Logging
import TesseraNN
import TesseraTrace
import TesseraTransport
import TesseraWire

/// The asynchronous modes. Up to `max_concurrent_trainers` workers train at once, each on the
/// model as it was when its task was sent (the task carries the version); an update is applied
/// when it arrives, `staleness` = server steps taken since its version: FedAsync mixes each in
/// (one server step per update), FedBuff buffers `buffer_size` of them per step. An update more
/// than `max_staleness` steps old is dropped and traced. A worker that answers gets the next
/// task at once. A task is given up after the deadline (its worker is not sent another until it
/// answers), a silent worker is lost, and the model is evaluated (by the driver, while training
/// goes on) and checkpointed every `evaluate_every` steps; training ends after `rounds` steps or
/// `max_seconds`, and the run once the last evaluation is in.
extension SchedulerMachine {
    /// Starts training from version `firstRound - 1`.
    func startAsynchronous(at now: Double, into actions: inout [SchedulerAction]) throws {
        let buffer = settings.mode == .fedbuff ? FedBuff(bufferSize: settings.bufferSize, staleness: settings.stalenessFunction) : nil
        var run = AsyncRun(version: firstRound - 1, buffer: buffer, at: wallClock.now)
        phase = .asynchronous(run)
        guard run.version < settings.rounds else { return try end(into: &actions) }
        try fill(&run, at: now, into: &actions)
        if case .asynchronous = phase { phase = .asynchronous(run) }
    }

    /// Sends the current model to idle workers, chosen at random, until the concurrency target
    /// is met; fails the run when no worker is left.
    func fill(_ run: inout AsyncRun, at now: Double, into actions: inout [SchedulerAction]) throws {
        guard !run.finishing else { return }
        let target = min(settings.trainerCap, membership.activeCount)
        for worker in pickIdle(run.training.count < target ? target - run.training.count : 0, run: run) {
            let task = try currentTask(&run)
            send(task, to: worker, into: &actions)
            let virtual = virtualEnd(ofTaskFor: worker)
            run.training[worker] = AsyncRun.Task(messageID: task.envelope.id, version: run.version, sentAt: now, virtual: virtual)
            if let devices { traceVirtualTask(of: worker, seconds: virtualSeconds(ofTaskFor: worker, devices: devices), round: run.version + 1) }
            if run.buffer != nil { run.bases[run.version] = global }
            run.period.dispatched += 1
        }
        if run.training.isEmpty && run.overdue.isEmpty {
            fail(.everyWorkerLost(round: run.version + 1, heartbeatTimeout: settings.heartbeatTimeout), into: &actions)
        }
    }

    /// Up to `count` active workers neither training nor overdue, at random. Drawn from the
    /// active ones when most of them are idle (a few draws each, however many are registered);
    /// otherwise from the idle ones listed.
    private func pickIdle(_ count: Int, run: AsyncRun) -> [String] {
        guard count > 0 else { return [] }
        let candidates = membership.candidates { _ in 0 }
        func isIdle(_ id: String) -> Bool { run.training[id] == nil && !run.overdue.contains(id) }
        if run.training.count + run.overdue.count + count > candidates.count / 2 {
            var idle = candidates.map(\.workerID).filter(isIdle)
            return (0..<min(count, idle.count)).map { _ in idle.remove(at: Int.random(in: idle.indices, using: &generator)) }
        }
        var picked: [String] = []
        var seen = Set<String>()
        while picked.count < count {
            let id = candidates[Int.random(in: 0..<candidates.count, using: &generator)].workerID
            if seen.insert(id).inserted && isIdle(id) { picked.append(id) }
        }
        return picked
    }

    /// The train task for the current version, encoded once.
    private func currentTask(_ run: inout AsyncRun) throws -> EncodedMessage {
        if let task = run.task, task.version == run.version { return task.message }
        let message = try EncodedMessage(Envelope(id: takeID(), message: .trainTask(TrainTask(
            round: UInt64(run.version + 1), modelVersion: UInt64(run.version), hyperparameters: try hyperparametersText(round: run.version + 1),
            parameters: global))), codec: codec)
        run.task = (run.version, message)
        return message
    }

    /// A message from `worker` during an asynchronous run: its update or error for the task it
    /// holds is acted on; anything else answering a task is refused as stray.
    func answerAsynchronously(_ envelope: Envelope, from worker: String, run: inout AsyncRun, at now: Double,
                              into actions: inout [SchedulerAction]) throws {
        guard envelope.message.isTaskAnswer || { if case .error = envelope.message { true } else { false } }() else { return }
        guard let task = run.training[worker], envelope.replyTo == task.messageID else {
            // A worker past its deadline that answers at last is free for a new task.
            if run.overdue.remove(worker) != nil { try fill(&run, at: now, into: &actions) }
            return try refuseStray(envelope, from: worker, into: &actions)
        }
        guard devices == nil else {
            // On virtual time an answer waits for its turn.
            run.held[worker] = envelope
            return try answerInVirtualOrder(&run, at: now, into: &actions)
        }
        try settle(envelope, from: worker, task: task, run: &run, at: now, into: &actions)
    }

    /// Acts on `worker`'s answer to `task`: applies its update, or counts its failure; then
    /// fills the slot.
    func settle(_ envelope: Envelope, from worker: String, task: AsyncRun.Task, run: inout AsyncRun, at now: Double,
                into actions: inout [SchedulerAction]) throws {
        run.training[worker] = nil
        if case let .update(update) = envelope.message {
            do {
                try checkClaims(of: update, from: worker, round: task.version + 1)
                let staleness = run.version - task.version
                if staleness > settings.maxStaleness {
                    logger.info("update from \(worker) is \(staleness) steps old (more than \(settings.maxStaleness)); dropped")
                    tracer?.span("stale update", start: TraceEvent.now(), detail: "trained from version \(task.version)",
                                 round: UInt64(run.version), peer: worker, staleness: staleness)
                    run.period.dropped += 1
                } else {
                    let base = run.bases[task.version] ?? global
                    let validated = try ValidatedUpdate(update, from: worker, global: base)
                    try checkChange(of: validated, trainedFrom: base)
                    try apply(validated, trainedFrom: base, staleness: staleness, run: &run, at: now, into: &actions)
                }
            } catch let error as SchedulerError {
                noteRefusal(error)
                logger.warning("\(error)")
                tracer?.span("rejected update", start: TraceEvent.now(), detail: "trained from version \(task.version): \(error)",
                             round: UInt64(run.version), peer: worker)
                try send(Envelope(id: takeID(), replyTo: envelope.id, message: .errorReply(for: error)), to: worker, into: &actions)
                run.givenUp[worker] = (task.messageID, "its update was refused (\(error))")
                countFailure(&run, into: &actions)
            }
        } else {
            run.givenUp[worker] = (task.messageID, "it answered with an error")
            countFailure(&run, into: &actions)
        }
        guard case .asynchronous = phase else { return }
        run.releaseBases()
        try fill(&run, at: now, into: &actions)
    }

    /// Applies `update` (trained from `base`, `staleness` steps old): one server step for
    /// FedAsync, into the buffer for FedBuff (a step when it is full).
    private func apply(_ update: ValidatedUpdate, trainedFrom base: ParameterSet, staleness: Int, run: inout AsyncRun,
                       at now: Double, into actions: inout [SchedulerAction]) throws {
        run.accepted += 1
        run.period.applied.append((update.workerID, staleness, update.sampleCount, update.metrics["loss"]))
        let start = TraceEvent.now()
        tracer?.span("accepted update", start: start, round: UInt64(run.version), peer: update.workerID, staleness: staleness)
        if var buffer = run.buffer {
            try buffer.add(update, trainedFrom: base, staleness: staleness)
            let full = buffer.isFull
            let moved = try full && stepGlobal(round: run.version + 1) { try buffer.step(global, with: &$0) }
            if full { buffer.clear() }
            run.buffer = buffer
            guard moved else { return }
        } else {
            let mixing = FedAsync(alpha: settings.asyncAlpha, staleness: settings.stalenessFunction)
            guard try stepGlobal(round: run.version + 1, { _ in try mixing.mix(update, into: global, staleness: staleness) }) else { return }
        }
        run.version += 1
        run.period.steps += 1
        tracer?.span("aggregate", start: start, round: UInt64(run.version),
                     virtual: devices == nil ? nil : VirtualSpan(start: virtualTime, end: virtualTime))
        if run.version >= settings.rounds || timeIsUp {
            finishTraining(&run, at: now, into: &actions)
        } else if run.version % settings.evaluateEvery == 0 {
            report(&run, at: now, into: &actions)
        }
    }

    /// Counts a task that brought nothing; a run in which every worker failed twice before any
    /// update was accepted is learning nothing, and ends.
    func countFailure(_ run: inout AsyncRun, into actions: inout [SchedulerAction]) {
        run.period.failed += 1
        guard run.accepted == 0 else { return }
        run.failedBeforeFirst += 1
        if run.failedBeforeFirst >= 2 * max(1, membership.count) {
            fail(.noUpdates(round: 1, sampled: run.failedBeforeFirst, deadline: settings.deadline, refusals: refusals), into: &actions)
        }
    }

    /// Closes the period since the last report: asks the driver to evaluate the current model,
    /// and keeps the period and the model's checkpoint until ``reportEvaluated(_:run:into:)``.
    private func report(_ run: inout AsyncRun, at now: Double, into actions: inout [SchedulerAction]) {
        let closed = wallClock.now
        run.reports.append(AsyncRun.Report(version: run.version, period: run.period, closed: closed, virtualClosed: virtualTime,
                                           checkpoint: checkpoint(round: run.version)))
        actions.append(.evaluate(global, round: run.version))
        run.period = AsyncRun.Period(start: closed, virtualStart: virtualTime)
    }

    /// The oldest report waiting for its evaluation gets it, and is reported; a run that
    /// finished training ends once none is left waiting.
    func reportEvaluated(_ central: Evaluation, run: inout AsyncRun, into actions: inout [SchedulerAction]) throws {
        guard !run.reports.isEmpty else { return }
        let report = run.reports.removeFirst()
        let period = report.period
        let stalenesses = period.applied.map(\.staleness)
        var result = RoundResult(
            round: report.version, sampled: period.dispatched, received: period.applied.count,
            late: period.failed + period.dropped, aggregated: period.steps > 0, accuracy: central.accuracy, loss: central.loss,
            seconds: report.closed - period.start, evaluationSeconds: wallClock.now - report.closed, federated: nil,
            custom: central.metrics.isEmpty ? nil : central.metrics,
            trainLoss: RoundResult.meanTrainingLoss(period.applied.map { ($0.loss, $0.samples) }),
            contributors: Set(period.applied.map(\.worker)).sorted(),
            staleness: RoundResult.StalenessSummary(
                steps: period.steps, mean: stalenesses.isEmpty ? 0 : Double(stalenesses.reduce(0, +)) / Double(stalenesses.count),
                maximum: stalenesses.max() ?? 0, dropped: period.dropped))
        if devices != nil { (result.virtualSeconds, result.virtualTime) = (report.virtualClosed - period.virtualStart, report.virtualClosed) }
        results.append(result)
        actions.append(.roundCompleted(result, checkpoint: report.checkpoint))
        if run.finishing && run.reports.isEmpty { try end(into: &actions) }
    }

    /// Training is over (the steps asked for, or the time): the last period is reported, no
    /// task is sent any more, and the run ends once its reports have their evaluations.
    private func finishTraining(_ run: inout AsyncRun, at now: Double, into actions: inout [SchedulerAction]) {
        report(&run, at: now, into: &actions)
        run.finishing = true
        run.training = [:]
        run.held = [:]
        run.overdue = []
    }

    /// Tasks past their deadline are given up (their workers left idle until they answer),
    /// silent workers are lost, and the wall-time limit ends the run.
    func tickAsynchronously(_ run: inout AsyncRun, at now: Double, into actions: inout [SchedulerAction]) throws {
        guard !run.finishing else { return }
        if timeIsUp { return finishTraining(&run, at: now, into: &actions) }
        let cutoff = now - settings.heartbeatTimeout
        for (worker, task) in run.training.sorted(by: { $0.key < $1.key }) {
            if max(task.sentAt, membership.lastSeen(worker) ?? task.sentAt) < cutoff {
                logger.warning("worker \(worker) is silent for \(settings.heartbeatTimeout) s \(activity); leaving it out")
                membership.lose(worker)
                tracer?.span("silent worker", start: TraceEvent.now(), detail: activity, peer: worker)
                run.givenUp[worker] = (task.messageID, "it was silent for \(settings.heartbeatTimeout) s")
            } else if now >= task.sentAt + realWait {
                logger.warning("worker \(worker) did not answer its task within \(settings.deadline) s")
                tracer?.span("task deadline", start: TraceEvent.now(), detail: "trained from version \(task.version)", peer: worker)
                run.overdue.insert(worker)
                run.givenUp[worker] = (task.messageID, "it passed its deadline of \(settings.deadline) s")
            } else {
                continue
            }
            run.training[worker] = nil
            run.held[worker] = nil
            countFailure(&run, into: &actions)
        }
        // Idle workers silent for the timeout are lost too (checked here, not on every fill).
        membership.loseSilent(at: now, timeout: settings.heartbeatTimeout)
        run.overdue = run.overdue.filter(membership.isActive)
        guard case .asynchronous = phase else { return }
        run.releaseBases()
        try fill(&run, at: now, into: &actions)
        if devices != nil { try answerInVirtualOrder(&run, at: now, into: &actions) }
    }

    /// The earliest time the asynchronous run has something to do without a message.
    func nextAsynchronousDeadline(_ run: AsyncRun) -> Double {
        let timeout = settings.heartbeatTimeout
        let tasks = run.training.map { worker, task in
            min(task.sentAt + realWait, max(task.sentAt, membership.lastSeen(worker) ?? 0) + timeout)
        }
        // The time limit is on the wall clock; the deadline is on the machine's.
        let limit = settings.maxSeconds > 0 ? clock.now + run.start + settings.maxSeconds - wallClock.now : .infinity
        return min(tasks.min() ?? .infinity, limit)
    }

    /// `worker`'s task will not be answered (garbage, a restart): the slot goes to another.
    func failAsynchronousTask(of worker: String, because reason: String, run: inout AsyncRun, at now: Double,
                              into actions: inout [SchedulerAction]) throws {
        run.overdue.remove(worker)
        guard let task = run.training.removeValue(forKey: worker) else { return }
        run.held[worker] = nil
        run.givenUp[worker] = (task.messageID, reason)
        countFailure(&run, into: &actions)
        guard case .asynchronous = phase else { return }
        run.releaseBases()
        try fill(&run, at: now, into: &actions)
        if devices != nil { try answerInVirtualOrder(&run, at: now, into: &actions) }
    }
}
