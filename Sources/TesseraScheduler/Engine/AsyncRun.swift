import TesseraNN
import TesseraTransport
import TesseraWire

/// Where an asynchronous run (FedAsync, FedBuff) stands: which worker trains on which model
/// version, the models still trained on, FedBuff's buffer, and what happened since the last
/// report.
struct AsyncRun {
    /// A train task out with one worker.
    struct Task {
        /// The task message's id (the update replies to it).
        let messageID: UInt64
        /// The model version it carries.
        let version: Int
        /// When it was sent.
        let sentAt: Double
        /// On virtual time: when its answer counts (its worker's virtual seconds after it was
        /// sent, or the deadline), and whether that is the deadline (the update is then late).
        var virtual: (end: Double, late: Bool)?
    }

    /// What happened since the last report (one ``RoundResult``).
    struct Period {
        /// When it started, on the wall clock.
        var start: Double
        /// When it started, in virtual seconds (on virtual time).
        var virtualStart = 0.0
        var dispatched = 0
        var failed = 0
        var dropped = 0
        var steps = 0
        /// Each applied update's worker, staleness, samples and reported loss.
        var applied: [(worker: String, staleness: Int, samples: UInt64, loss: Double?)] = []
    }

    /// A closed period waiting for the evaluation of the model it ended with.
    struct Report {
        /// The model's version.
        let version: Int
        let period: Period
        /// When the period closed, on the wall clock.
        let closed: Double
        /// When it closed in virtual seconds (on virtual time).
        let virtualClosed: Double
        /// The model, the strategy's state and the sampler's, as they were then.
        let checkpoint: Checkpoint
    }

    /// When training started on the wall clock (the wall-time limit counts from here).
    let start: Double
    /// Server steps taken: the current model's version.
    var version: Int
    /// Tasks out, by worker.
    var training: [String: Task] = [:]
    /// Workers whose task passed its deadline and that may still be busy with it: not sent
    /// another until they answer something.
    var overdue: Set<String> = []
    /// The last task given up of each worker (garbage, a restart, silence) and why: an answer
    /// to it is told so.
    var givenUp: [String: (messageID: UInt64, reason: String)] = [:]
    /// The models of versions still trained on (FedBuff takes each update's change from its
    /// own base).
    var bases: [Int: ParameterSet] = [:]
    /// The current version's train task, encoded once for every worker sent it.
    var task: (version: Int, message: EncodedMessage)?
    /// FedBuff's buffer (nil for FedAsync).
    var buffer: FedBuff?
    /// Updates applied since the run started, and tasks failed before the first was.
    var accepted = 0
    var failedBeforeFirst = 0
    var period: Period
    /// Closed periods waiting for their evaluations, oldest first.
    var reports: [Report] = []
    /// On virtual time: answers that came before their turn, by worker, until every task due
    /// earlier in virtual time is answered.
    var held: [String: Envelope] = [:]
    /// Whether training is over: no more tasks; the run ends when `reports` is empty.
    var finishing = false

    /// A run from model version `version`, started at `now` on the wall clock.
    init(version: Int, buffer: FedBuff?, at now: Double) {
        start = now
        self.version = version
        self.buffer = buffer
        period = Period(start: now)
    }

    /// Forgets the models no task in flight was given.
    mutating func releaseBases() {
        let needed = Set(training.values.map(\.version))
        bases = bases.filter { needed.contains($0.key) }
    }
}
