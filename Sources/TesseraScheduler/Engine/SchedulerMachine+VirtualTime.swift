import TesseraTrace

/// Virtual time (`simulation.clock: virtual`): what the rounds and the asynchronous modes
/// reckon by each client's simulated device rather than by when its answer really came.
extension SchedulerMachine {
    /// Seconds a task waits in real time for its answer: the deadline, or on virtual time (where
    /// the deadline is virtual) at least ``SimulationClock/realWait``, so that no real delay
    /// decides which updates count.
    var realWait: Double {
        devices == nil ? settings.deadline : max(settings.deadline, SimulationClock.realWait)
    }

    /// Virtual seconds `worker`'s train task takes on its device, from what the scheduler knows
    /// of it (its share, the model's size), never from its word; infinity when the device goes
    /// out of reach before it would finish (its update is lost).
    func virtualSeconds(ofTaskFor worker: String, devices: VirtualDevices) -> Double {
        let client = membership[worker]?.clientIndex ?? 0
        let seconds = devices.trainingSeconds(client: client, samples: Int(clamping: trainingLimit(of: worker) ?? 0),
                                              epochs: settings.localEpochs, parameters: global.scalarCount)
        return devices.device(of: client).staysOnline(from: virtualTime, to: virtualTime + seconds) ? seconds : .infinity
    }

    /// On virtual time with devices that come and go: `sampled` less those out of reach now,
    /// made up to `count` from `candidates` drawn uniformly (a few tries) among those in reach.
    func inReach(_ sampled: [String], of candidates: SamplingCandidates, count: Int) -> [String] {
        guard let devices, devices.comesAndGoes else { return sampled }
        func reachable(_ id: String) -> Bool { devices.device(of: membership[id]?.clientIndex ?? 0).isOnline(at: virtualTime) }
        var kept = sampled.filter(reachable)
        var uniform = UniformSampler()
        for _ in 0..<3 where kept.count < count {
            let more = uniform.sample(candidates, round: 0, count: count, using: &generator).filter { reachable($0) && !kept.contains($0) }
            kept += more.prefix(count - kept.count)
        }
        return kept.sorted()
    }

    /// On virtual time: when a task sent to `worker` now counts, and whether that is its
    /// deadline (nil on the wall clock).
    func virtualEnd(ofTaskFor worker: String) -> (end: Double, late: Bool)? {
        guard let devices else { return nil }
        let seconds = virtualSeconds(ofTaskFor: worker, devices: devices)
        return (virtualTime + min(seconds, settings.deadline), seconds > settings.deadline)
    }

    /// On virtual time, asynchronously: answers are taken in the order their tasks end in
    /// virtual time (ties by worker id), each once every task ending before it was answered or
    /// given up; the clock moves to each. An update past its virtual deadline is dropped.
    func answerInVirtualOrder(_ run: inout AsyncRun, at now: Double, into actions: inout [SchedulerAction]) throws {
        while case .asynchronous = phase, !run.finishing,
              let (worker, task) = run.training.min(by: { (($0.value.virtual?.end ?? 0), $0.key) < (($1.value.virtual?.end ?? 0), $1.key) }),
              let envelope = run.held.removeValue(forKey: worker) {
            virtualTime = max(virtualTime, task.virtual?.end ?? virtualTime)
            guard task.virtual?.late == true else {
                try settle(envelope, from: worker, task: task, run: &run, at: now, into: &actions)
                continue
            }
            logger.info("update from \(worker) would come after its deadline of \(settings.deadline) virtual seconds; dropped")
            tracer?.span("virtual deadline", start: TraceEvent.now(), detail: "trained from version \(task.version)", round: UInt64(run.version),
                         peer: worker)
            run.training[worker] = nil
            countFailure(&run, into: &actions)
            run.releaseBases()
            try fill(&run, at: now, into: &actions)
        }
    }

    /// On virtual time: the updates that came within the deadline in virtual seconds (the
    /// others are late, whenever they really came); the clock moves on by the round's length,
    /// its slowest client's time or the deadline.
    func keepInVirtualTime(_ answers: [(ValidatedUpdate, UInt64)], round: Round) -> [(ValidatedUpdate, UInt64)] {
        let kept = answers.filter { (round.virtualSeconds[$0.0.workerID] ?? .infinity) <= settings.deadline }
        for (update, _) in answers where (round.virtualSeconds[update.workerID] ?? .infinity) > settings.deadline {
            tracer?.span("virtual deadline", start: TraceEvent.now(), detail: "\(update.workerID): \(round.virtualSeconds[update.workerID] ?? 0) s",
                         round: UInt64(round.number))
        }
        return kept
    }

    /// Traces `worker`'s task of `round` (a server step's number when asynchronous) on virtual
    /// time: from now until `seconds` later, or without an end when it never counts (its device
    /// leaves first, or it would end past its deadline).
    func traceVirtualTask(of worker: String, seconds: Double, round: Int) {
        let counts = seconds <= settings.deadline
        tracer?.span("virtual task", start: TraceEvent.now(), detail: counts ? nil : seconds.isFinite ? "past its deadline" : "its device leaves first",
                     round: UInt64(round), peer: worker, virtual: VirtualSpan(start: virtualTime, end: counts ? virtualTime + seconds : nil))
    }

    /// The virtual seconds `round` lasts: until its slowest client, or the deadline.
    func virtualLength(of round: Round) -> Double {
        min(settings.deadline, round.virtualSeconds.values.max() ?? settings.deadline)
    }
}
