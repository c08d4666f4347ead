import TesseraTrace
import TesseraWire

extension ClientMachine {
    /// The driver finished the running task after computing for `computeSeconds` on this
    /// machine: its answer goes out now, or when the simulated device would have finished.
    public func taskFinished(_ answer: Message, computeSeconds: Double) -> [ClientAction] {
        guard var task = running else { return [] }
        if abandoned {
            // The device went away by schedule while it ran: the answer is lost.
            abandoned = false
            running = nil
            return []
        }
        let holdBack = task.trains ? device.holdBack(afterComputing: computeSeconds) : 0
        guard holdBack > 0 else { return release(task, answer) }
        task.held = (answer, clock.now + holdBack)
        running = task
        if device.slowdown > 1 || device.extraSeconds > 0 {
            tracer?.span("simulated slowdown", start: TraceEvent.now(), detail: "\(device.slowdown)x, \(holdBack) s", round: task.round)
        }
        return []
    }

    /// The held answer, once its time has come.
    func releaseIfDue(at now: Double) -> [ClientAction] {
        guard let task = running, let held = task.held, now >= held.until else { return [] }
        return release(task, held.answer)
    }

    /// Sends a finished task's answer: the update (or, in a secure round, its keys), unless the
    /// device leaves now and the update is lost.
    private func release(_ task: RunningTask, _ answer: Message) -> [ClientAction] {
        running = nil
        // A hosted client names itself: its process's trace holds many clients' spans.
        if task.trains { tracer?.span("train", start: task.traceStart, round: task.round, peer: hosted ? workerID : nil) }
        tracer?.span(task.kindName, start: task.traceStart)
        guard case let .update(update) = answer else { return [send(answer, replyTo: task.replyTo, to: task.sender)] }
        if connection == .connected, task.secure == nil, deviceLeaves() {
            tracer?.span("simulated leave", start: TraceEvent.now(), detail: "away \(device.availability.away) s; the update is lost")
            offlineUntil = clock.now + device.availability.away
            return []
        }
        guard let secure = task.secure else { return [send(answer, replyTo: task.replyTo, to: task.sender)] }
        // The update stays here; the scheduler gets its keys, then its masked sum's part.
        do {
            let session = try SecureAggregationSession(update: update, taskID: task.replyTo, workerID: workerID,
                                                       settings: secure, identity: setup.secureIdentity)
            secureAggregation = session
            return [send(try session.keys(), replyTo: task.replyTo, to: task.sender)]
        } catch {
            return [send(.errorReply(for: WorkerError.secureAggregation(worker: workerID, reason: "\(error)")),
                         replyTo: task.replyTo, to: task.sender)]
        }
    }
}
