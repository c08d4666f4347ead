import Foundation
import TesseraTrace
import TesseraTransport
import TesseraWire

extension SchedulerMachine {
    /// A registration (message `messageID`): counts towards the expected workers before the run
    /// starts, and is acknowledged with `done`; afterwards, a known worker registering again (a
    /// restarted process) is welcomed again, and unknown ones are refused with an error (the
    /// run's data is split among the workers it started with).
    func register(_ id: String, peer: PeerID, credential: String?, messageID: UInt64, samples: UInt64, labels: [UInt64],
                  at now: Double, into actions: inout [SchedulerAction]) throws {
        // A worker speaks only for itself: its connection's identity is its id (a DEALER's
        // routing id), or, for a client its process hosts, its id is the process's identity, a
        // slash, and a name of its own. Without this, anyone could register under another
        // worker's id and take its tasks over.
        let process = String(decoding: peer.bytes, as: UTF8.self)
        let ownID = if let client = peer.client { client == id && id.hasPrefix(process + "/") } else { peer == PeerID(id) }
        guard ownID else {
            logger.warning("\(peer) tried to register as worker \(id)")
            tracer?.span("refused registration", start: TraceEvent.now(), detail: "connection \(peer) as \(id)", peer: id)
            let rule = peer.client == nil ? "under its own connection identity (ZMQ_ROUTING_ID)" : "as its process's identity, a slash and a name (PROCESS/NAME)"
            return try reply(.error(code: WireError.Kind.requestFailed.rawValue,
                                    message: "a worker registers \(rule); this connection is '\(peer)', not '\(id)'"),
                             to: peer, replyTo: messageID, into: &actions)
        }
        // On a CURVE channel the id (a hosted client's process) must also be the name its key
        // was admitted under.
        if let credential, credential != (peer.client == nil ? id : process) {
            logger.warning("\(peer), admitted as \(credential), tried to register as worker \(id)")
            tracer?.span("refused registration", start: TraceEvent.now(), detail: "key of \(credential) as \(id)", peer: id)
            return try reply(.error(code: WireError.Kind.requestFailed.rawValue,
                                    message: "this connection's key is \(credential)'s; it cannot register as \(id)"),
                             to: peer, replyTo: messageID, into: &actions)
        }
        if case .registering = phase {
            let known = membership.count
            membership.register(id, peer: peer, credential: credential, samples: samples, labels: labels, at: now)
            // A worker registering again (it heard nothing for a while) is not counted twice.
            if membership.count > known { reportRegistration(id, at: now, into: &actions) }
            try reply(.done(objectCount: 0, byteCount: 0), to: peer, replyTo: messageID, into: &actions)
            if membership.count >= settings.workers {
                let order = Array(membership.ids.prefix(settings.workers))
                phase = .joining(JoinProgress(order: order, start: now, deadline: now + settings.registrationTimeout + settings.deadline))
                try advanceJoining(at: now, into: &actions)
            }
            return
        }
        guard let index = membership[id]?.clientIndex else {
            let known = membership[id] != nil
            // A process started again while its clients wait their turn: they are welcomed over
            // its new connection, not passed over as its old one's. (Anyone else registering
            // twice changes nothing.)
            if known && membership.connectionHasEnded(of: id) {
                membership.register(id, peer: peer, credential: credential, samples: samples, labels: labels, at: now)
            }
            try reply(.error(code: WireError.Kind.requestFailed.rawValue, message: known
                             ? "worker \(id) is registered already and will be welcomed in turn"
                             : "run \(runID) already has its \(settings.workers) workers; \(id) is not one of them"),
                      to: peer, replyTo: messageID, into: &actions)
            return
        }
        logger.notice("worker \(id) registered again (a restart?); welcoming it back as client \(index)")
        membership.register(id, peer: peer, credential: credential, samples: samples, labels: labels, at: now)
        try welcome(id, clientIndex: index, into: &actions)
        // Whatever the old process owed is not coming.
        try failTask(of: id, because: "it registered again (a restarted process)", at: now, into: &actions)
    }

    /// Says that `id` registered: each of a hundred workers or fewer in the log; of more,
    /// every tenth of them, to the driver too (the progress of a long wait).
    private func reportRegistration(_ id: String, at now: Double, into actions: inout [SchedulerAction]) {
        let count = membership.count, expected = settings.workers
        guard expected > 100 else { return logger.info("worker \(id) registered (\(count) of \(expected))") }
        guard RegistrationProgress.isDue(count, of: expected) else { return }
        let progress = RegistrationProgress(count: count, expected: expected, seconds: now - registrationStart)
        logger.info("\(progress.line)")
        actions.append(.registered(progress))
    }

    /// `worker` answered its welcome while joining: counted, and said every tenth of a run of
    /// more than a hundred workers (a million load their shares for a minute).
    func joined(_ worker: String, progress: inout JoinProgress, at now: Double, into actions: inout [SchedulerAction]) {
        progress.settled(worker)
        progress.joined += 1
        guard RegistrationProgress.isDue(progress.joined, of: progress.order.count) else { return }
        let line = RegistrationProgress(count: progress.joined, expected: progress.order.count, seconds: now - progress.start, stage: .joined)
        logger.info("\(line.line)")
        actions.append(.registered(line))
    }

    /// While joining: a welcomed worker silent for the heartbeat timeout (it died loading, or
    /// never got the welcome), or every one still welcomed once the joining deadline passed, is
    /// given up, and the join goes on without it.
    func giveUpJoining(_ progress: JoinProgress, at now: Double, into actions: inout [SchedulerAction]) throws {
        let deadline = progress.deadline
        let givenUp = progress.loading.keys.filter { now >= deadline || (membership.lastSeen($0) ?? now) < now - settings.heartbeatTimeout }.sorted()
        for id in givenUp {
            logger.warning("worker \(id) did not answer its welcome \(now >= deadline ? "in time" : "and is silent for \(settings.heartbeatTimeout) s"); joining without it")
            tracer?.span("join given up", start: TraceEvent.now(), detail: now >= deadline ? "joining deadline" : "silent", peer: id)
        }
        try giveUpJoining(givenUp, progress, at: now, into: &actions)
    }

    /// Gives up `workers`, welcomed and still loading, and goes on joining without them.
    func giveUpJoining(_ workers: [String], _ progress: JoinProgress, at now: Double, into actions: inout [SchedulerAction]) throws {
        guard !workers.isEmpty else { return }
        var progress = progress
        for id in workers { progress.settled(id) }
        phase = .joining(progress)
        for id in workers { membership.lose(id) }
        try advanceJoining(at: now, into: &actions)
    }

    /// Sends `id` the run's configuration as client `clientIndex`.
    func welcome(_ id: String, clientIndex: Int, into actions: inout [SchedulerAction]) throws {
        let messageID = takeID()
        membership.welcomed(id, messageID: messageID, clientIndex: clientIndex)
        try send(Envelope(id: messageID, message: .welcome(runID: runID, configuration: try welcomeText.text(forClient: clientIndex))),
                 to: id, into: &actions)
    }

    /// While joining: welcomes the next workers while fewer than `maxConcurrentTrainers`
    /// connections (and ``JoinProgress/window`` workers) are loading, and starts the first round
    /// once every one answered. A process loads the run's data once, for the first of its clients
    /// welcomed, so its connection counts once however many of its clients are: a million clients
    /// of one process join in a stream, not two at a time.
    func advanceJoining(at now: Double, into actions: inout [SchedulerAction]) throws {
        guard var progress = takeJoining() else { return }
        let order = progress.order
        do {
            while progress.next < order.count && progress.loading.count < JoinProgress.window {
                let worker = order[progress.next]
                // One whose process exited is not welcomed: it would only be waited for.
                if membership.connectionHasEnded(of: worker) {
                    progress.next += 1
                    continue
                }
                let connection = membership[worker]?.peer.bytes ?? Data(worker.utf8)
                guard progress.busy[connection] != nil || progress.busy.count < settings.trainerCap else { break }
                try welcome(worker, clientIndex: progress.next, into: &actions)
                progress.started(worker, on: connection)
                progress.next += 1
            }
        } catch {
            phase = .joining(progress)
            throw error
        }
        phase = .joining(progress)
        guard progress.next == order.count, progress.loading.isEmpty else { return }
        // Workers given up while joining (died, or silent) are left out when enough joined.
        let joined = order.filter(membership.isActive)
        guard joined.count >= settings.quorum else {
            let joinedSet = Set(joined)
            return fail(.joinTimedOut(workers: order.filter { !joinedSet.contains($0) }), into: &actions)
        }
        if joined.count < order.count {
            logger.warning("\(order.count - joined.count) of \(order.count) workers did not join; the run goes on with \(joined.count)")
        }
        // Resuming from a checkpoint without the sampler's state (written before it was kept):
        // replay the draws of the rounds already run, as if every worker had been active.
        if !restoredSampler && firstRound > 1 {
            let everyone = SamplingCandidates(membership.ids.map { SamplingCandidate(workerID: $0, samples: 0) })
            var uniform = UniformSampler()
            for round in 1..<max(1, firstRound) {
                _ = uniform.sample(everyone, round: round, count: settings.sampleSize(available: everyone.count), using: &generator)
            }
        }
        trainingStart = wallClock.now
        if settings.mode.isAsynchronous {
            try startAsynchronous(at: now, into: &actions)
        } else {
            try startRound(firstRound, at: now, into: &actions)
        }
    }

    /// The join's progress, taken out of `phase` (left ended until it is put back) so that it is
    /// changed in place: changed where `phase` still holds it, its tables of a thousand welcomes
    /// would be copied on every answer. Nil when not joining.
    func takeJoining() -> JoinProgress? {
        guard case let .joining(progress) = phase else { return nil }
        phase = .ended
        return progress
    }
}
