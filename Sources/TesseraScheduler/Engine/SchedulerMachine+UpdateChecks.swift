import Foundation
import Logging
import TesseraNN
import TesseraTrace
import TesseraWire

// What a synchronous round checks of each update: its claims (round, model version, samples) as
// it comes, and its change against the round's others as the round closes.

extension SchedulerMachine {
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
}
