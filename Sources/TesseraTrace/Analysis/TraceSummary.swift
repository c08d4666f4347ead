/// What a run's traces say, per round, per message type and per process: the numbers behind
/// `tessera trace summary`.
public struct TraceSummary: Sendable {
    /// One synchronous round, or one server step of an asynchronous run.
    public struct Round: Sendable, Equatable {
        /// Round (or server step) number.
        public var round: UInt64
        /// When it began (the first train task sent; for a step, the previous step's end) and
        /// ended (its evaluation's end, or its aggregation's), aligned seconds since 1970.
        public var start: Double
        /// See ``start``.
        public var end: Double
        /// Workers sent the round's task (tasks sent during a step).
        public var sampled: Int
        /// Updates that arrived in time and were not refused (updates applied in a step).
        public var answered: Int
        /// Updates that arrived after the round closed (stale updates dropped in a step).
        public var late: Int
        /// Sampled workers whose update never arrived or was refused.
        public var lost: Int
        /// Bytes the scheduler sent and received for this round.
        public var bytesDown: Int
        /// See ``bytesDown``.
        public var bytesUp: Int
        /// The round's wall time split along its critical path: the task's transfer to the
        /// worker whose update came last, that worker's training and its update's transfer
        /// back, the rest of the wait for it, then aggregation and evaluation; `other` is what
        /// remains (the scheduler's own work between them).
        public var transferDown: Double
        /// See ``transferDown``.
        public var training: Double
        /// See ``transferDown``.
        public var transferUp: Double
        /// See ``transferDown``.
        public var waiting: Double
        /// See ``transferDown``.
        public var aggregation: Double
        /// See ``transferDown``.
        public var evaluation: Double
        /// A secure round's protocol after the keys that came last: the roster, the shares, the
        /// masked inputs, the survivors and the unmasking (0 in other rounds). The critical path
        /// before it runs through the worker whose keys came last.
        public var secure: Double = 0
        /// Mean staleness of the updates applied (asynchronous modes).
        public var staleness: Double?
        /// On virtual time: where the round (or step) lies in virtual seconds since the first
        /// round; its ``VirtualSpan/end`` is the virtual time at its end.
        public var virtual: VirtualSpan? = nil

        /// Wall time in seconds.
        public var seconds: Double { end - start }
        /// The part of ``seconds`` not in the other phases.
        public var other: Double { max(0, seconds - transferDown - training - transferUp - waiting - secure - aggregation - evaluation) }
    }

    /// One message type.
    public struct MessageType: Sendable, Equatable {
        /// Type name.
        public var type: String
        /// Messages sent or received.
        public var count: Int
        /// Their bytes.
        public var bytes: Int
        /// Sent but never received (the receiver died, or dropped it).
        public var undelivered: Int
        /// Seconds from send to receive.
        public var transit: Percentiles?
        /// Seconds from the request's send to its reply's receive, for requests answered.
        public var reply: Percentiles?
    }

    /// One process other than the reference (a worker, a client).
    public struct Process: Sendable, Equatable {
        /// Process name.
        public var name: String
        /// Registrations (more than one: it restarted or rejoined).
        public var registrations: Int
        /// Train tasks received.
        public var tasks: Int
        /// Updates sent.
        public var updates: Int
        /// Mean and largest staleness of its applied updates (asynchronous modes).
        public var meanStaleness: Double?
        /// See ``meanStaleness``.
        public var maxStaleness: Int?
        /// Updates dropped as too stale.
        public var staleDrops: Int
        /// Bytes it sent and received.
        public var bytesSent: Int
        /// See ``bytesSent``.
        public var bytesReceived: Int
        /// Error replies sent or received, and updates the scheduler refused.
        public var errors: Int
        /// Times the scheduler found it silent, or was told it exited, and left it out.
        public var lost: Int
        /// Seconds spent training.
        public var trainingSeconds: Double
        /// Seconds of simulated delay (slowdown, link latency and bandwidth, time away).
        public var simulatedSeconds: Double
        /// Its clock's offset from the reference.
        public var clock: ClockOffset?
    }

    /// Whether the run was asynchronous (rows are server steps).
    public let asynchronous: Bool
    /// Per round, in order.
    public let rounds: [Round]
    /// Per message type, by type name.
    public let messageTypes: [MessageType]
    /// Per process other than the reference, by name.
    public let processes: [Process]
    /// The reference process.
    public let reference: String
    /// Events read and the time they span.
    public let eventCount: Int
    /// See ``eventCount``.
    public let duration: Double

    /// Summarizes `trace`. Time is O(n log n) in its events.
    public init(_ trace: RunTrace) {
        reference = trace.reference
        eventCount = trace.files.reduce(0) { $0 + $1.events.count }
        let times = trace.messages.map(\.time) + trace.spans.map(\.end)
        duration = (times.max() ?? 0) - (times.min() ?? 0)
        asynchronous = trace.spans.contains { $0.process == trace.reference && $0.name == "accepted update" }
        rounds = asynchronous ? Self.steps(trace) : Self.rounds(trace)
        messageTypes = Self.messageTypes(trace)
        processes = Self.processes(trace)
    }
}
