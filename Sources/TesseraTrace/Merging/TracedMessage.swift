/// One message as the two sides recorded it, joined: the sender's `send` and the receiver's
/// `recv` event, with times on the run's aligned clock (``RunTrace/reference``).
public struct TracedMessage: Sendable, Equatable {
    /// The sending process (or the address it was known by, for a process without a trace).
    public var sender: String
    /// The receiving process (or address).
    public var receiver: String
    /// Message type ("train task", "update", ...).
    public var type: String
    /// The sender's message id.
    public var id: UInt64
    /// The id of the message this answers, 0 for none.
    public var replyTo: UInt64
    /// Federated round, 0 outside rounds.
    public var round: UInt64
    /// Bytes on the wire.
    public var bytes: Int
    /// When it was sent, aligned seconds since 1970; nil when the sender left no record.
    public var sent: Double?
    /// When it was received; nil when the receiver left no record (lost, or dropped on arrival).
    public var received: Double?

    /// Seconds from send to receive, when both sides recorded it.
    public var transit: Double? {
        guard let sent, let received else { return nil }
        return received - sent
    }

    /// The earliest time either side recorded.
    public var time: Double { sent ?? received ?? 0 }
}

/// A span of work (train, aggregate, evaluate, an op) on the run's aligned clock.
public struct TracedSpan: Sendable, Equatable {
    /// The process that did the work.
    public var process: String
    /// What the work was.
    public var name: String
    /// Aligned start and end, seconds since 1970.
    public var start: Double
    /// Aligned end.
    public var end: Double
    /// The round or server step it belongs to, when it belongs to one.
    public var round: UInt64?
    /// The worker it is about, for the scheduler's spans about one worker.
    public var peer: String?
    /// Free text (op name, error).
    public var detail: String?
    /// An asynchronous update's staleness.
    public var staleness: Int?
    /// On virtual time: where the work lies in virtual seconds.
    public var virtual: VirtualSpan? = nil

    /// Length in seconds.
    public var seconds: Double { end - start }
}
