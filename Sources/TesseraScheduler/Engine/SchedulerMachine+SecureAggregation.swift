import Foundation
import TesseraNN
import TesseraSecureAggregation
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

/// A secure round (docs/PROTOCOL.md, "Secure aggregation"; Bonawitz et al. 2017): the train task
/// carries the threshold, and each sampled worker answers it with its keys instead of its update.
/// Then the roster goes to every worker whose keys came, the encrypted shares are relayed, the
/// masked inputs collected, the survivors named, and their revelations unmask the sum, which
/// is all the scheduler ever sees of the updates. Each step after the keys waits until all
/// asked answered or failed, or until the round's deadline (at least the heartbeat timeout
/// from the step's start); a step left with fewer workers than the threshold ends the round
/// without a sum.
extension SchedulerMachine {
    /// The train task's hyperparameters in secure round `round` whose secrets take `threshold` shares,
    /// each worker sharing with `neighbours` others (0: all).
    /// In a private run each worker clips its change and adds noise of z / √threshold clips: any
    /// sum the round can release holds at least `threshold` inputs, so at least z clips of noise,
    /// and the scheduler never sees a sum without it.
    func secureHyperparameters(round: Int, threshold: Int, neighbours: Int) throws -> String {
        var parameters = settings.hyperparameters(round: round)
        parameters.secureThreshold = threshold
        parameters.secureNeighbours = neighbours
        if let privacy {
            parameters.localClip = Float(privacy.clip)
            parameters.localNoise = Float(privacy.workerNoiseMultiplier(threshold: threshold))
        }
        return String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self)
    }

    /// `worker`'s keys, answering the train task of `round`; refused (the worker fails its task)
    /// when they are not its own or the protocol refuses them.
    func acceptKeys(_ step: SecureAggregationStep, from worker: String, replyTo: UInt64, round: inout Round,
                    into actions: inout [SchedulerAction]) throws {
        guard var secure = round.secure else { return }
        do {
            try secure.collect(step, from: worker)
            round.secure = secure
            round.gather.accept(.keys, from: worker)
            actions.append(.progress(round: round.number, accepted: round.gather.answers.count, sampled: round.gather.workers.count))
        } catch {
            try refuse(step, error, from: worker, replyTo: replyTo, round: round.number, into: &actions)
            round.gather.fail(worker, "its keys were refused (\(error))")
        }
    }

    /// Closes the keys: the roster goes to every worker whose keys arrived.
    func beginSecureSteps(_ round: Round, at now: Double, into actions: inout [SchedulerAction]) throws {
        var round = round
        guard var secure = round.secure else { return }
        tracer?.span("secagg keys", start: TraceEvent.now(), detail: "\(secure.counts[.keys] ?? 0) of \(round.gather.workers.count)",
                     round: UInt64(round.number))
        let roster: [KeyAdvertisement]
        do {
            roster = try secure.publishRoster()
        } catch {
            round.secure = secure
            return try closeSecurely(round, failure: "\(error)", into: &actions)
        }
        func message(_ roster: [KeyAdvertisement]) throws -> EncodedMessage {
            try EncodedMessage(Envelope(id: takeID(), message: .secureAggregation(SecureAggregationStep(
                round: UInt64(round.number), kind: .roster, body: try SecureAggregationRound.json(roster)))), codec: codec)
        }
        // With SecAgg+ each worker is sent its neighbours' keys only; else one roster for all.
        var messages: [(id: String, message: EncodedMessage)] = []
        if secure.neighbours > 0 {
            for entry in roster { messages.append((entry.id, try message(secure.server.roster(for: entry.id)))) }
        } else {
            let shared = try message(roster)
            messages = roster.map { ($0.id, shared) }
        }
        secure.begin(.shares, asked: messages.map { ($0.id, $0.message.envelope.id) }, at: now, deadline: stepDeadline(of: round, at: now))
        for (id, message) in messages { send(message, to: id, into: &actions) }
        round.secure = secure
        phase = .securing(round)
    }

    /// A message from `worker` while `round` is in its secure steps.
    func answerSecurely(_ envelope: Envelope, from worker: String, round: Round, at now: Double,
                        into actions: inout [SchedulerAction]) throws {
        var round = round
        guard var secure = round.secure, secure.isPending(worker), envelope.replyTo == secure.asked[worker]?.id else {
            return try refuseStray(envelope, from: worker, into: &actions)
        }
        switch envelope.message {
        case let .secureAggregation(step):
            do {
                try secure.collect(step, from: worker, weightLimit: trainingLimit(of: worker), unitWeight: privacy != nil)
            } catch {
                try refuse(step, error, from: worker, replyTo: envelope.id, round: round.number, into: &actions)
                secure.fail(worker)
            }
        case let .error(_, text):
            logger.warning("round \(round.number): \(worker) left the secure round: \(text)")
            secure.fail(worker)
        default:
            return try refuseStray(envelope, from: worker, into: &actions)
        }
        round.secure = secure
        phase = .securing(round)
        try closeIfDue(at: now, into: &actions)
    }

    /// Closes the step in progress and asks for the next, or unmasks the sum after the last.
    func advanceSecurely(_ round: Round, at now: Double, into actions: inout [SchedulerAction]) throws {
        var round = round
        guard var secure = round.secure else { return }
        let closed = secure.stage
        tracer?.span("secagg \(closed.rawValue)", start: TraceEvent.now(),
                     detail: "\(secure.counts[closed] ?? 0) of \(secure.asked.count)", round: UInt64(round.number))
        do {
            switch closed {
            case .keys:
                return
            case .shares:
                let sharers = secure.server.sharers
                guard sharers.count >= secure.threshold else {
                    round.secure = secure
                    return try closeSecurely(round, failure: "\(sharers.count) workers shared their keys, fewer than the threshold \(secure.threshold)", into: &actions)
                }
                var asked: [(id: String, message: UInt64)] = []
                for id in sharers {
                    let envelope = Envelope(id: takeID(), message: .secureAggregation(SecureAggregationStep(
                        round: UInt64(round.number), kind: .relayedShares, body: try SecureAggregationRound.json(secure.server.shares(for: id)))))
                    try send(envelope, to: id, into: &actions)
                    asked.append((id, envelope.id))
                }
                secure.begin(.maskedInputs, asked: asked, at: now, deadline: stepDeadline(of: round, at: now))
            case .maskedInputs:
                let survivors = try secure.server.survivors()
                let message = try EncodedMessage(Envelope(id: takeID(), message: .secureAggregation(SecureAggregationStep(
                    round: UInt64(round.number), kind: .survivors, body: try SecureAggregationRound.json(survivors)))), codec: codec)
                // Signed keys: the workers check the survivors with each other's signatures first.
                secure.begin(secure.signed ? .consistency : .unmasking, asked: survivors.map { ($0, message.envelope.id) }, at: now,
                             deadline: stepDeadline(of: round, at: now))
                for id in survivors { send(message, to: id, into: &actions) }
            case .consistency:
                let signers = secure.survivorSignatures.keys.sorted()
                guard signers.count >= secure.threshold else {
                    round.secure = secure
                    return try closeSecurely(round, failure: "\(signers.count) survivors signed the survivors, fewer than the threshold \(secure.threshold)", into: &actions)
                }
                let message = try EncodedMessage(Envelope(id: takeID(), message: .secureAggregation(SecureAggregationStep(
                    round: UInt64(round.number), kind: .signatures, body: try SecureAggregationRound.json(secure.survivorSignatures)))), codec: codec)
                secure.begin(.unmasking, asked: signers.map { ($0, message.envelope.id) }, at: now, deadline: stepDeadline(of: round, at: now))
                for id in signers { send(message, to: id, into: &actions) }
            case .unmasking:
                let (start, started) = (TraceEvent.now(), wallClock.now)
                let sum = try secure.server.sum()
                tracer?.span("secagg unmask", start: start, detail: "\(secure.counts[.maskedInputs] ?? 0) inputs", round: UInt64(round.number))
                round.aggregationSeconds = wallClock.now - started
                round.secure = secure
                return try closeSecurely(round, sum: sum, into: &actions)
            }
        } catch {
            round.secure = secure
            return try closeSecurely(round, failure: "\(error)", into: &actions)
        }
        round.secure = secure
        phase = .securing(round)
    }

    /// Ends `round`'s secure steps: with its unmasked `sum`, the model steps with the average it
    /// holds; without (a step fell under the threshold, or the sum is not what its inputs can
    /// add up to), the model stays as it was. A private round's privacy is spent either way: a
    /// round that could not release still depended on who took part.
    func closeSecurely(_ round: Round, sum: [UInt64]? = nil, failure: String? = nil, into actions: inout [SchedulerAction]) throws {
        var round = round
        guard let secure = round.secure else { return }
        let survivors = sum != nil ? ((try? secure.server.survivors()) ?? []) : []
        var failure = failure
        if let sum {
            do {
                let change = try averageChange(of: sum, inputs: survivors, weights: secure.weights)
                round.aggregated = privacy != nil || survivors.count >= settings.quorum
                if round.aggregated {
                    let (start, started) = (TraceEvent.now(), wallClock.now)
                    round.aggregated = try stepGlobal(round: round.number) { try $0.step(global: global, averageChange: change) }
                    tracer?.span("aggregate", start: start, detail: "secure sum of \(survivors.count)", round: UInt64(round.number))
                    round.aggregationSeconds = (round.aggregationSeconds ?? 0) + wallClock.now - started
                }
            } catch {
                failure = "\(error)"
            }
        }
        if round.aggregated {
            round.received = survivors.count
            round.contributors = survivors
        }
        if let failure {
            logger.warning("round \(round.number): no secure sum: \(failure)")
            tracer?.span("secagg failed", start: TraceEvent.now(), detail: failure, round: UInt64(round.number))
        }
        if let privacy {
            chargePrivateRound(into: &actions)
            let noise = privacy.secureNoise(inputs: survivors.count, threshold: secure.threshold)
            round.privacy = RoundResult.PrivacySummary(epsilon: budget.epsilon(delta: settings.delta), delta: settings.delta,
                                                       clip: privacy.clip, clipped: nil, noise: round.aggregated ? noise : 0,
                                                       epsilonAgainstScheduler: budget.epsilonAgainstScheduler(delta: settings.delta),
                                                       rdpEpsilon: budget.rdpEpsilon(delta: settings.delta))
        }
        round.secureSummary = RoundResult.SecureSummary(
            threshold: secure.threshold, keys: secure.counts[.keys] ?? 0, shared: secure.counts[.shares] ?? 0,
            masked: secure.counts[.maskedInputs] ?? 0, unmasked: secure.counts[.unmasking] ?? 0, failure: failure)
        try evaluateRound(round, at: clock.now, into: &actions)
    }

    /// The average change an unmasked `sum` of the `inputs` stands for: each input is a worker's
    /// weights times the weight it said beside it, checked when it came (docs/PROTOCOL.md). A
    /// plain round's is the sample-weighted average minus the global model; a private round's
    /// inputs are clipped, noised models of weight 1, divided as DP-FedAvg divides
    /// (``PrivateAggregation/averageChange(ofSecureSum:inputs:global:expectedClients:)``).
    ///
    /// - Throws: ``SchedulerError`` (`.unusableUpdate`) for a sum of the wrong length, of inputs
    ///   that weigh nothing, or whose average is not finite.
    func averageChange(of sum: [UInt64], inputs: [String], weights: [String: Double]) throws -> ParameterSet {
        let values = FixedPoint.updates.decode(sum)
        let current = global.flattened()
        guard values.count == current.count else {
            throw SchedulerError.unusableUpdate(worker: "secure sum", reason: "it has \(values.count) elements, not \(current.count)")
        }
        let weight = inputs.reduce(0.0) { $0 + (weights[$1] ?? 0) }
        guard weight > 0 else {
            throw SchedulerError.unusableUpdate(worker: "secure sum", reason: "its \(inputs.count) inputs weigh nothing (no samples)")
        }
        let change = privacy?.averageChange(ofSecureSum: values, inputs: inputs.count, global: current, expectedClients: settings.expectedClients)
            ?? current.indices.map { Float(values[$0] / weight - Double(current[$0])) }
        guard change.allSatisfy(\.isFinite) else {
            throw SchedulerError.unusableUpdate(worker: "secure sum", reason: "its average holds values that are not finite")
        }
        return try global.unflattened(change)
    }

    /// When a step after the keys gives up: `training.secure_step_timeout` after its start (not
    /// the round's deadline, which a participant that heartbeats but never answers would make
    /// every step wait for).
    func stepDeadline(of round: Round, at now: Double) -> Double {
        now + settings.secureStepTimeout
    }

    /// Tells `worker` why its `step` is not used, and notes it.
    private func refuse(_ step: SecureAggregationStep, _ error: any Error, from worker: String, replyTo: UInt64, round: Int,
                        into actions: inout [SchedulerAction]) throws {
        let refusal = error as? SchedulerError ?? .unusableStep(worker: worker, step: step.kind.name, reason: "\(error)")
        logger.warning("round \(round): \(refusal)")
        tracer?.span("rejected step", start: TraceEvent.now(), detail: "\(refusal)", round: UInt64(round), peer: worker)
        try send(Envelope(id: takeID(), replyTo: replyTo, message: .errorReply(for: refusal)), to: worker, into: &actions)
    }
}
