import Foundation
import TesseraTransport

/// One task (a train or evaluate request, encoded once) on its way to a set of workers, at
/// most a given number of trainers at a time, and what came back: an answer, or a failure (an
/// error reply, garbage, silence, a restart). Complete when every worker answered or failed.
///
/// A trainer is a connection: a worker of its own, or a process with the clients it hosts
/// (their tasks run one at a time there), which are sent the task together.
struct TaskGather<Value> {
    /// The task's frames.
    let task: EncodedMessage
    /// The workers to ask, in the order they are asked.
    let workers: [String]
    /// When the gather gives up on those that have not answered.
    let deadline: Double
    private var waiting: ArraySlice<String>
    /// When each worker was sent the task.
    private(set) var sentAt: [String: Double] = [:]
    /// The usable answers, by worker.
    private(set) var answers: [String: Value] = [:]
    /// Workers that failed the task, and why (what a later answer of theirs is told).
    private(set) var failures: [String: String] = [:]
    /// For each connection with workers sent the task that owe an answer, how many.
    private var busy: [Data: Int] = [:]
    /// The connection each worker sent the task was sent it on.
    private var connections: [String: Data] = [:]

    /// A gather of `task` from `workers`, giving up at `deadline`.
    init(task: EncodedMessage, workers: [String], deadline: Double) {
        self.task = task
        self.workers = workers
        self.deadline = deadline
        waiting = workers[...]
    }

    /// The id of the task's message (answers reply to it).
    var taskID: UInt64 { task.envelope.id }

    /// Whether every worker answered or failed.
    var isComplete: Bool { answers.count + failures.count == workers.count }

    /// Whether `worker` was sent the task and owes an answer.
    func isPending(_ worker: String) -> Bool {
        sentAt[worker] != nil && answers[worker] == nil && failures[worker] == nil
    }

    /// Whether `worker` is still to be sent the task.
    func isWaiting(_ worker: String) -> Bool {
        sentAt[worker] == nil && failures[worker] == nil && waiting.contains(worker)
    }

    /// Workers sent the task that owe an answer.
    var pending: [String] { workers.filter(isPending) }

    /// How many were sent the task and owe an answer.
    var inFlight: Int { sentAt.count - answers.count - sentAt.keys.count { failures[$0] != nil } }

    /// Connections whose workers were sent the task and owe an answer.
    var busyTrainers: Int { busy.count }

    /// The next workers to send the task to, recorded as sent at `now`: the first waiting, and
    /// when it is a hosted client, up to `maximum` waiting clients of its process with it.
    /// `peer` tells a worker's connection (nil: it is gone; it goes alone). Empty when none waits.
    mutating func dispatch(at now: Double, maximum: Int, peer: (String) -> PeerID?) -> [String] {
        guard let first = waiting.popFirst() else { return [] }
        let connection = peer(first)
        var batch = [first]
        if let connection, connection.client != nil {
            var rest: [String] = []
            for worker in waiting {
                if batch.count < maximum, let other = peer(worker), other.client != nil, other.bytes == connection.bytes {
                    batch.append(worker)
                } else {
                    rest.append(worker)
                }
            }
            waiting = rest[...]
        }
        let key = connection?.bytes ?? Data(first.utf8)
        for worker in batch {
            sentAt[worker] = now
            connections[worker] = key
        }
        busy[key, default: 0] += batch.count
        return batch
    }

    /// Records `worker`'s usable answer.
    mutating func accept(_ value: Value, from worker: String) {
        settle(worker)
        answers[worker] = value
    }

    /// Records that `worker` failed the task, `reason` saying how (also one not sent it yet: it
    /// will not be). Its first failure is the one kept.
    mutating func fail(_ worker: String, _ reason: String) {
        settle(worker)
        if failures[worker] == nil { failures[worker] = reason }
        if let index = waiting.firstIndex(of: worker) { waiting.remove(at: index) }
    }

    /// `worker`, if it owes an answer, no longer keeps its connection busy.
    private mutating func settle(_ worker: String) {
        guard isPending(worker), let key = connections[worker], let count = busy[key] else { return }
        busy[key] = count > 1 ? count - 1 : nil
    }
}
