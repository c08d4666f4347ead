import Foundation
import TesseraTrace
import TesseraWire

extension SyncScheduler {
    /// What a worker's message means for the task being gathered.
    enum Answer<Value> {
        /// A usable answer.
        case accepted(Value)
        /// An unusable answer: that worker failed the task.
        case failed
        /// Not an answer to this task (a heartbeat, a stray reply).
        case ignored
    }

    /// Sends `task` (encoded once) to `workers`, at most `maxConcurrentTrainers` at a time (the
    /// next one when an answer or failure arrives: workers sharing this machine's cores would
    /// otherwise thrash), and collects answers until every worker answered or failed, or the
    /// deadline passed. Undecodable bytes and error replies count as failures; `classify` judges
    /// the rest. Workers heartbeat while they work, so one that goes silent for the heartbeat
    /// timeout after being sent the task is lost, and the next one starts.
    func gather<Value>(
        _ task: Envelope, from workers: [String], during phase: String, onAccepted: (Int) -> Void = { _ in },
        classify: (Message, String) -> Answer<Value>
    ) throws -> [String: Value] {
        let frames = try socket.codec.encode(task)
        var waiting = workers[...]
        var sent: [String: Date] = [:]
        func dispatch() throws {
            guard let worker = waiting.popFirst(), let identity = identities[worker] else { return }
            try socket.send(frames: frames, of: task, to: identity)
            sent[worker] = Date()
        }
        for _ in 0..<min(configuration.maxConcurrentTrainers, workers.count) { try dispatch() }
        var answers: [String: Value] = [:]
        var failed: Set<String> = []
        let deadline = Date().addingTimeInterval(configuration.deadline)
        while answers.count + failed.count < workers.count {
            if shouldStop() { throw SchedulerError("interrupted during \(phase)") }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            let silentSince = Date().addingTimeInterval(-configuration.heartbeatTimeout)
            for (worker, time) in sent where answers[worker] == nil && !failed.contains(worker)
                && max(time, lastSeen[worker] ?? time) < silentSince {
                failed.insert(worker)
                lost.insert(worker)
                tracer?.span("silent worker", start: TraceEvent.now(), detail: "\(worker), \(phase)")
                try dispatch()
            }
            guard let received = try socket.receive(timeout: min(left, 0.5), hasIdentity: true),
                  let identity = received.identity,
                  let worker = identities.first(where: { $0.value == identity })?.key else { continue }
            let pending = workers.contains(worker) && answers[worker] == nil && !failed.contains(worker)
            guard case let .success(envelope) = received.envelope else {
                // Undecodable bytes from a worker doing this task: its answer is garbage.
                if pending && failed.insert(worker).inserted { try dispatch() }
                continue
            }
            try note(envelope, from: worker, identity: identity)
            guard pending && envelope.replyTo == task.id else { continue }
            if case .error = envelope.message {
                failed.insert(worker)
                try dispatch()
                continue
            }
            switch classify(envelope.message, worker) {
            case let .accepted(value):
                answers[worker] = value
                onAccepted(answers.count)
                try dispatch()
            case .failed:
                failed.insert(worker)
                try dispatch()
            case .ignored:
                continue
            }
        }
        return answers
    }
}
