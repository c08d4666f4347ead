import Foundation
import TesseraTransport

/// The workers a scheduler knows: who registered (with the sample count and label histogram
/// they reported), where each is reached, when each was last heard from, and whether it can be
/// given work. Pure bookkeeping; times are seconds on the scheduler's clock.
///
/// A worker is *welcomed* when sent the run's configuration and *active* once it answers that
/// welcome; it is *lost* when silent for the heartbeat timeout (or when its task fails by
/// silence) and active again when heard from. A worker that registers again (a restarted
/// process, from a new connection) is welcomed again and is usable once it answers.
///
/// Liveness is kept per connection, not per worker: a process hosting many clients heartbeats
/// once for all of them, anything heard on its connection counts for each, and its silence
/// loses them together. Only work proportional to the connections is done on a tick.
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

    /// One connection: when anything was last heard on it, the workers that speak over it.
    struct Link {
        var lastSeen: Double
        /// Whether it went silent and its workers were lost for it.
        var silent = false
        /// The name its key was admitted under (nil on plain channels).
        var credential: String?
        var members: Set<String> = []
    }

    private(set) var members: [String: Member] = [:]
    private var byPeer: [PeerID: String] = [:]
    /// The connections, by their identity's bytes.
    private var links: [Data: Link] = [:]
    /// The active workers, countable and indexable in id order.
    private var activeIndex = ActiveIndex()

    /// Counts the changes to who holds which client and what it registered: a record of the
    /// roster need not be written again while it stays the same.
    public private(set) var revision = 0

    /// No workers yet.
    public init() {}

    /// Every worker, by id.
    public subscript(id: String) -> Member? { members[id] }

    /// Ids of all workers, sorted.
    public var ids: [String] { members.keys.sorted() }

    /// Ids of active workers, sorted: O(n log n), for uses that need them all.
    public var active: [String] { members.values.filter { $0.status == .active }.map(\.id).sorted() }

    /// How many workers are active.
    public var activeCount: Int { activeIndex.count }

    /// The active workers in id order as sampling candidates, each with the samples `samples`
    /// holds it to, listed only as far as a sampler reads them.
    mutating func candidates(samples: @escaping @Sendable (Member) -> Int) -> SamplingCandidates {
        activeIndex.settle()
        let (index, members) = (activeIndex, members)
        return SamplingCandidates(count: index.count) { rank in
            let id = index.active(at: rank)
            return SamplingCandidate(workerID: id, samples: members[id].map(samples) ?? 0)
        }
    }

    /// Sets `id`'s status, keeping the active index.
    private mutating func setStatus(_ id: String, _ status: Status) {
        guard let old = members[id]?.status, old != status else { return }
        members[id]?.status = status
        if (old == .active) != (status == .active) { activeIndex.set(id, active: status == .active) }
    }

    /// How many workers registered.
    public var count: Int { members.count }

    /// The worker that `peer` speaks for, if any.
    public func worker(at peer: PeerID) -> String? { byPeer[peer] }

    /// Records a registration; returns whether the worker was known already (a restart).
    @discardableResult
    mutating func register(_ id: String, peer: PeerID, credential: String?, samples: UInt64, labels: [UInt64],
                           at now: Double) -> Bool {
        revision += 1
        // The connection's bytes and the id's text, shared rather than copied for each of a
        // million clients.
        let peer = PeerID(bytes: links.index(forKey: peer.bytes).map { links.keys[$0] } ?? peer.bytes,
                          client: peer.client == id ? id : peer.client)
        links[peer.bytes, default: Link(lastSeen: now)].credential = credential
        links[peer.bytes]?.members.insert(id)
        heard(on: peer, at: now)
        if let old = members[id] {
            byPeer[old.peer] = nil
            if old.peer.bytes != peer.bytes { links[old.peer.bytes]?.members.remove(id) }
            members[id]?.peer = peer
            members[id]?.credential = credential
            members[id]?.reportedSamples = samples
            members[id]?.reportedLabels = labels
            byPeer[peer] = id
            return true
        }
        members[id] = Member(id: id, peer: peer, credential: credential, clientIndex: nil, reportedSamples: samples,
                             reportedLabels: labels, status: .registered)
        activeIndex.add(id)
        byPeer[peer] = id
        return false
    }

    /// When anything was last heard on `id`'s connection.
    public func lastSeen(_ id: String) -> Double? {
        members[id].flatMap { links[$0.peer.bytes]?.lastSeen }
    }

    /// The identities of the connections workers speak over, each as the peer that reaches the
    /// process itself (the scheduler's heartbeats go there).
    var connections: [PeerID] { links.keys.map { PeerID(bytes: $0) } }

    /// Whether workers speak over `peer`'s connection, and the name its key was admitted under.
    func connection(of peer: PeerID) -> (known: Bool, credential: String?) {
        guard let link = links[peer.bytes], !link.members.isEmpty else { return (false, nil) }
        return (true, link.credential)
    }

    /// Notes a message on `peer`'s connection: its workers are alive, and those it lost by
    /// going silent are active again.
    mutating func heard(on peer: PeerID, at now: Double) {
        guard var link = links[peer.bytes] else { return }
        link.lastSeen = now
        if link.silent {
            link.silent = false
            for id in link.members where members[id]?.status == .lost { setStatus(id, .active) }
        }
        links[peer.bytes] = link
    }

    /// Notes that `id` was sent its welcome in message `messageID`, as client `clientIndex`.
    mutating func welcomed(_ id: String, messageID: UInt64, clientIndex: Int) {
        setStatus(id, .welcomed(messageID: messageID))
        members[id]?.clientIndex = clientIndex
        revision += 1
    }

    /// Notes a message from `id`: it is alive, and a lost worker becomes active again (one
    /// still being welcomed stays so until it answers).
    mutating func heard(from id: String, at now: Double) {
        guard let member = members[id] else { return }
        heard(on: member.peer, at: now)
        if member.status == .lost { setStatus(id, .active) }
    }

    /// Makes a welcomed worker active if `replyTo` answers its welcome; returns whether it did.
    mutating func answeredWelcome(_ id: String, replyTo: UInt64) -> Bool {
        guard case let .welcomed(messageID)? = members[id]?.status, messageID == replyTo else { return false }
        setStatus(id, .active)
        return true
    }

    /// Whether `id`'s welcome went out in message `messageID` and is unanswered.
    func isWelcomed(_ id: String, messageID: UInt64) -> Bool {
        members[id]?.status == .welcomed(messageID: messageID)
    }

    /// Marks `id` lost.
    mutating func lose(_ id: String) {
        setStatus(id, .lost)
    }

    /// Marks the active workers of connections silent since before `now - timeout` lost;
    /// returns them, sorted.
    @discardableResult
    mutating func loseSilent(at now: Double, timeout: Double) -> [String] {
        var lost: [String] = []
        for (key, link) in links where !link.silent && link.lastSeen < now - timeout {
            links[key]?.silent = true
            for id in link.members where members[id]?.status == .active {
                setStatus(id, .lost)
                lost.append(id)
            }
        }
        return lost.sorted()
    }
}
