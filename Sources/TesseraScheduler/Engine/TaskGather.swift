import TesseraTransport

/// One task (a train or evaluate request, encoded once) on its way to a set of workers, at
/// most a given number at a time, and what came back: an answer, or a failure (an error reply,
/// garbage, silence, a restart). Complete when every worker answered or failed.
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

    /// Workers sent the task that owe an answer.
    var pending: [String] { workers.filter(isPending) }

    /// How many were sent the task and owe an answer.
    var inFlight: Int { sentAt.count - answers.count - sentAt.keys.count { failures[$0] != nil } }

    /// The next worker to send the task to (recorded as sent at `now`), if any is waiting.
    mutating func dispatch(at now: Double) -> String? {
        guard let worker = waiting.popFirst() else { return nil }
        sentAt[worker] = now
        return worker
    }

    /// Records `worker`'s usable answer.
    mutating func accept(_ value: Value, from worker: String) {
        answers[worker] = value
    }

    /// Records that `worker` failed the task, `reason` saying how (also one not sent it yet: it
    /// will not be). Its first failure is the one kept.
    mutating func fail(_ worker: String, _ reason: String) {
        if failures[worker] == nil { failures[worker] = reason }
        if let index = waiting.firstIndex(of: worker) { waiting.remove(at: index) }
    }
}
