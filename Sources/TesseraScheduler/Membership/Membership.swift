import TesseraTransport

/// The workers a scheduler knows: who registered (with the sample count and label histogram
/// they reported), where each is reached, when each was last heard from, and whether it can be
/// given work. Pure bookkeeping; times are seconds on the scheduler's clock.
///
/// A worker is *welcomed* when sent the run's configuration and *active* once it answers that
/// welcome; it is *lost* when silent for the heartbeat timeout (or when its task fails by
/// silence) and active again when heard from. A worker that registers again (a restarted
/// process, from a new connection) is welcomed again and is usable once it answers.
public struct Membership: Sendable {
    /// What the scheduler knows of one worker.
    public struct Member: Sendable, Equatable {
        /// The worker's id.
        public let id: String
        /// Where its messages come from and replies go.
        public internal(set) var peer: PeerID
        /// The name its key was admitted under, on a CURVE channel (nil on plain ones): every
        /// message from its peer must come with the same, so no one speaks for it.
        public internal(set) var credential: String?
        /// Its client index (its share of the data), fixed at its first welcome.
        public internal(set) var clientIndex: Int?
        /// Training samples it reported when registering (0 when its data comes with the welcome).
        public internal(set) var reportedSamples: UInt64
        /// Label histogram it reported when registering (empty when not known).
        public internal(set) var reportedLabels: [UInt64]
        /// When it was last heard from.
        public internal(set) var lastSeen: Double
        /// Whether it can be given work.
        public internal(set) var status: Status
    }

    /// Where a worker stands.
    public enum Status: Sendable, Equatable {
        /// Registered, not yet sent the run's configuration.
        case registered
        /// Sent the configuration in the message with this id; usable once it answers.
        case welcomed(messageID: UInt64)
        /// Usable.
        case active
        /// Silent for too long; not given work until heard from again.
        case lost
    }

    private(set) var members: [String: Member] = [:]
    private var byPeer: [PeerID: String] = [:]

    /// No workers yet.
    public init() {}

    /// Every worker, by id.
    public subscript(id: String) -> Member? { members[id] }

    /// Ids of all workers, sorted.
    public var ids: [String] { members.keys.sorted() }

    /// Ids of active workers, sorted.
    public var active: [String] { members.values.filter { $0.status == .active }.map(\.id).sorted() }

    /// How many workers registered.
    public var count: Int { members.count }

    /// The worker that `peer` speaks for, if any.
    public func worker(at peer: PeerID) -> String? { byPeer[peer] }

    /// Records a registration; returns whether the worker was known already (a restart).
    @discardableResult
    mutating func register(_ id: String, peer: PeerID, credential: String?, samples: UInt64, labels: [UInt64],
                           at now: Double) -> Bool {
        if let old = members[id] {
            byPeer[old.peer] = nil
            members[id]?.peer = peer
            members[id]?.credential = credential
            members[id]?.reportedSamples = samples
            members[id]?.reportedLabels = labels
            members[id]?.lastSeen = now
            byPeer[peer] = id
            return true
        }
        members[id] = Member(id: id, peer: peer, credential: credential, clientIndex: nil, reportedSamples: samples,
                             reportedLabels: labels, lastSeen: now, status: .registered)
        byPeer[peer] = id
        return false
    }

    /// Notes that `id` was sent its welcome in message `messageID`, as client `clientIndex`.
    mutating func welcomed(_ id: String, messageID: UInt64, clientIndex: Int) {
        members[id]?.status = .welcomed(messageID: messageID)
        members[id]?.clientIndex = clientIndex
    }

    /// Notes a message from `id`: it is alive, and a lost worker becomes active again (one
    /// still being welcomed stays so until it answers).
    mutating func heard(from id: String, at now: Double) {
        guard var member = members[id] else { return }
        member.lastSeen = now
        if member.status == .lost { member.status = .active }
        members[id] = member
    }

    /// Makes a welcomed worker active if `replyTo` answers its welcome; returns whether it did.
    mutating func answeredWelcome(_ id: String, replyTo: UInt64) -> Bool {
        guard case let .welcomed(messageID)? = members[id]?.status, messageID == replyTo else { return false }
        members[id]?.status = .active
        return true
    }

    /// Whether `id`'s welcome went out in message `messageID` and is unanswered.
    func isWelcomed(_ id: String, messageID: UInt64) -> Bool {
        members[id]?.status == .welcomed(messageID: messageID)
    }

    /// Marks `id` lost.
    mutating func lose(_ id: String) {
        if members[id] != nil { members[id]?.status = .lost }
    }

    /// Marks active workers silent since before `now - timeout` lost; returns them, sorted.
    @discardableResult
    mutating func loseSilent(at now: Double, timeout: Double) -> [String] {
        let silent = members.values.filter { $0.status == .active && $0.lastSeen < now - timeout }.map(\.id).sorted()
        for id in silent { members[id]?.status = .lost }
        return silent
    }
}
