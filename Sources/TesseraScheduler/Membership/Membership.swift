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

    /// One connection: its identity's bytes, when anything was last heard on it, the workers
    /// that speak over it.
    struct Link: Sendable {
        let bytes: Data
        var lastSeen: Double
        /// Whether it went silent and its workers were lost for it.
        var silent = false
        /// Whether the process behind it is known to have exited: only a registration over it
        /// brings its workers back, not a message the process sent before it ended.
        var ended = false
        /// The name its key was admitted under (nil on plain channels): every worker over it
        /// registered with it, as its key is the connection's.
        var credential: String?
        /// Its workers' slots.
        var slots: [Int32] = []
    }

    // A million registered clients must cost little each, so what the scheduler knows of a
    // worker is kept in arrays by slot (its number in the order it registered), not as a
    // `Member` in a dictionary: about 110 bytes a worker instead of about 700. A `Member` is
    // made when asked for.

    /// Each slot's worker id.
    private var slotIDs: [String] = []
    /// Each worker's slot, by id.
    private var slots: [String: Int32] = [:]
    /// Each slot's connection, an index into ``links``.
    private var linkOf: [Int32] = []
    /// Whether each slot is a client hosted by its connection's process (its peer is the
    /// connection and its id), or the connection itself (its identity is its id).
    private var hosted: [Bool] = []
    /// Each slot's client index, −1 before its first welcome.
    private var clientIndices: [Int32] = []
    private var reportedSamples: [UInt64] = []
    private var reportedLabels: [[UInt64]] = []
    private var statuses: [StatusCode] = []
    /// The message each welcomed slot's welcome went in, while unanswered.
    private var welcomes: [Int32: UInt64] = [:]
    /// The connections, and each one's index by its identity's bytes.
    private var links: [Link] = []
    private var linkIndex: [Data: Int32] = [:]
    /// The active workers, countable and indexable in id order.
    private var activeIndex = ActiveIndex()

    /// ``Status`` without the welcome's message id, a byte a slot.
    private enum StatusCode: UInt8, Sendable {
        case registered, welcomed, active, lost
    }

    /// Counts the changes to who holds which client and what it registered: a record of the
    /// roster need not be written again while it stays the same.
    public private(set) var revision = 0

    /// No workers yet.
    public init() {}

    /// Every worker, by id.
    public subscript(id: String) -> Member? { slots[id].map { member(at: Int($0)) } }

    /// What `id` registered that bounds its sample claims (its client index, and the samples it
    /// reported, 0 for none), read without making a whole ``Member``: the scheduler asks for each
    /// update.
    public func registration(of id: String) -> (clientIndex: Int?, reportedSamples: UInt64)? {
        guard let slot = slots[id].map(Int.init) else { return nil }
        return (clientIndices[slot] < 0 ? nil : Int(clientIndices[slot]), reportedSamples[slot])
    }

    /// Where `id`'s messages come from and replies go (its ``Member/peer``), read without making
    /// a whole ``Member``: the scheduler asks for each message it sends.
    public func peer(of id: String) -> PeerID? {
        guard let slot = slots[id].map(Int.init) else { return nil }
        return peer(at: slot)
    }

    /// The name `id`'s key was admitted under (its ``Member/credential``: nil on plain channels,
    /// or for an unknown id), read without making a whole ``Member``: the scheduler asks for each
    /// message received.
    func credential(of id: String) -> String? {
        slots[id].flatMap { links[Int(linkOf[Int($0)])].credential }
    }

    /// The peer of the worker in `slot`: its connection, and its id when hosted.
    private func peer(at slot: Int) -> PeerID {
        PeerID(bytes: links[Int(linkOf[slot])].bytes, client: hosted[slot] ? slotIDs[slot] : nil)
    }

    /// The worker in `slot`, as a ``Member``.
    private func member(at slot: Int) -> Member {
        let link = links[Int(linkOf[slot])]
        let status: Status = switch statuses[slot] {
        case .registered: .registered
        case .welcomed: .welcomed(messageID: welcomes[Int32(slot)] ?? 0)
        case .active: .active
        case .lost: .lost
        }
        return Member(id: slotIDs[slot], peer: peer(at: slot), credential: link.credential,
                      clientIndex: clientIndices[slot] < 0 ? nil : Int(clientIndices[slot]), reportedSamples: reportedSamples[slot],
                      reportedLabels: reportedLabels[slot], status: status)
    }

    /// Ids of all workers, sorted.
    public var ids: [String] { slotIDs.sorted() }

    /// Ids of active workers, sorted: O(n log n), for uses that need them all.
    public var active: [String] { statuses.indices.filter { statuses[$0] == .active }.map { slotIDs[$0] }.sorted() }

    /// Whether the process behind `id`'s connection is known to have exited, and nothing has
    /// registered over the connection since.
    func connectionHasEnded(of id: String) -> Bool {
        slots[id].map { links[Int(linkOf[Int($0)])].ended } ?? false
    }

    /// Whether `id` is active.
    public func isActive(_ id: String) -> Bool {
        slots[id].map { statuses[Int($0)] == .active } ?? false
    }

    /// Who hears the run's end: each worker on a connection of its own (by id, sorted), and
    /// each process hosting clients once, as itself (sorted by identity). Work in proportion to
    /// the connections and those workers, not to the hosted clients.
    var farewells: (workers: [String], processes: [PeerID]) {
        var workers: [String] = [], processes: [PeerID] = []
        for link in links {
            for slot in link.slots.map(Int.init) where !hosted[slot] { workers.append(slotIDs[slot]) }
            if link.slots.contains(where: { hosted[Int($0)] }) { processes.append(PeerID(bytes: link.bytes)) }
        }
        return (workers.sorted(), processes.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
    }

    /// How many workers are active.
    public var activeCount: Int { activeIndex.count }

    /// The active workers in id order as sampling candidates, each with the samples `samples`
    /// holds it to, listed only as far as a sampler reads them.
    mutating func candidates(samples: @escaping @Sendable (Member) -> Int) -> SamplingCandidates {
        activeIndex.settle(ids: slotIDs)
        let membership = self
        return SamplingCandidates(count: activeIndex.count) { rank in
            let member = membership.member(at: membership.activeIndex.active(at: rank))
            return SamplingCandidate(workerID: member.id, samples: samples(member))
        }
    }

    /// Sets `slot`'s status, keeping the active index and the welcomes.
    private mutating func setStatus(_ slot: Int, _ status: Status) {
        let code: StatusCode
        switch status {
        case .registered: code = .registered
        case let .welcomed(messageID):
            code = .welcomed
            welcomes[Int32(slot)] = messageID
        case .active: code = .active
        case .lost: code = .lost
        }
        let old = statuses[slot]
        guard old != code else { return }
        statuses[slot] = code
        if old == .welcomed { welcomes[Int32(slot)] = nil }
        if (old == .active) != (code == .active) { activeIndex.set(slot, active: code == .active) }
    }

    /// How many workers registered.
    public var count: Int { slotIDs.count }

    /// The worker that `peer` speaks for, if any: a hosted client by its id over its process's
    /// connection, another worker by its connection's identity.
    public func worker(at peer: PeerID) -> String? {
        let id = peer.client ?? String(decoding: peer.bytes, as: UTF8.self)
        guard let slot = slots[id].map(Int.init), hosted[slot] == (peer.client != nil), links[Int(linkOf[slot])].bytes == peer.bytes else { return nil }
        return slotIDs[slot]
    }

    /// Records a registration; returns whether the worker was known already (a restart). The
    /// scheduler has checked that `peer` is the worker's own: its identity is `id`, or it is
    /// client `id` of its process.
    @discardableResult
    mutating func register(_ id: String, peer: PeerID, credential: String?, samples: UInt64, labels: [UInt64],
                           at now: Double) -> Bool {
        revision += 1
        let link: Int32
        if let known = linkIndex[peer.bytes] {
            link = known
        } else {
            link = Int32(links.count)
            links.append(Link(bytes: peer.bytes, lastSeen: now))
            linkIndex[peer.bytes] = link
        }
        links[Int(link)].credential = credential
        let restarted = links[Int(link)].ended
        links[Int(link)].ended = false
        let known = slots[id].map(Int.init)
        let slot = known ?? slotIDs.count
        if let known {
            let old = Int(linkOf[known])
            if old != Int(link) {
                links[old].slots.removeAll { $0 == Int32(known) }
                links[Int(link)].slots.append(Int32(known))
                linkOf[known] = link
            }
            hosted[known] = peer.client != nil
            reportedSamples[known] = samples
            reportedLabels[known] = labels
        } else {
            slotIDs.append(id)
            slots[id] = Int32(slot)
            linkOf.append(link)
            hosted.append(peer.client != nil)
            clientIndices.append(-1)
            reportedSamples.append(samples)
            reportedLabels.append(labels)
            statuses.append(.registered)
            activeIndex.add()
            links[Int(link)].slots.append(Int32(slot))
        }
        if restarted {
            // A new process over the connection of one that exited: each of its clients comes
            // back when it registers again, not all of them with the first.
            links[Int(link)].lastSeen = now
            links[Int(link)].silent = false
        } else {
            heard(on: peer, at: now)
        }
        return known != nil
    }

    /// When anything was last heard on `id`'s connection.
    public func lastSeen(_ id: String) -> Double? {
        slots[id].map { links[Int(linkOf[Int($0)])].lastSeen }
    }

    /// The identities of the connections workers speak over, each as the peer that reaches the
    /// process itself (the scheduler's heartbeats go there).
    var connections: [PeerID] { links.map { PeerID(bytes: $0.bytes) } }

    /// Whether workers speak over `peer`'s connection, and the name its key was admitted under.
    func connection(of peer: PeerID) -> (known: Bool, credential: String?) {
        guard let index = linkIndex[peer.bytes], !links[Int(index)].slots.isEmpty else { return (false, nil) }
        return (true, links[Int(index)].credential)
    }

    /// Notes a message on `peer`'s connection: its workers are alive, and those it lost by
    /// going silent are active again.
    mutating func heard(on peer: PeerID, at now: Double) {
        if let index = linkIndex[peer.bytes] { heard(link: Int(index), at: now) }
    }

    /// Notes a message on connection `index`.
    private mutating func heard(link index: Int, at now: Double) {
        links[index].lastSeen = now
        guard links[index].silent, !links[index].ended else { return }
        links[index].silent = false
        for slot in links[index].slots where statuses[Int(slot)] == .lost { setStatus(Int(slot), .active) }
    }

    /// Notes that `id` was sent its welcome in message `messageID`, as client `clientIndex`.
    mutating func welcomed(_ id: String, messageID: UInt64, clientIndex: Int) {
        guard let slot = slots[id].map(Int.init) else { return }
        setStatus(slot, .welcomed(messageID: messageID))
        clientIndices[slot] = Int32(clamping: clientIndex)
        revision += 1
    }

    /// Notes a message from `id`: it is alive, and a lost worker becomes active again (one
    /// still being welcomed stays so until it answers; one whose process exited, until it
    /// registers again).
    mutating func heard(from id: String, at now: Double) {
        guard let slot = slots[id].map(Int.init) else { return }
        heard(link: Int(linkOf[slot]), at: now)
        if statuses[slot] == .lost && !links[Int(linkOf[slot])].ended { setStatus(slot, .active) }
    }

    /// Makes a welcomed worker active if `replyTo` answers its welcome; returns whether it did.
    mutating func answeredWelcome(_ id: String, replyTo: UInt64) -> Bool {
        guard isWelcomed(id, messageID: replyTo), let slot = slots[id] else { return false }
        setStatus(Int(slot), .active)
        return true
    }

    /// Whether `id`'s welcome went out in message `messageID` and is unanswered.
    func isWelcomed(_ id: String, messageID: UInt64) -> Bool {
        guard let slot = slots[id] else { return false }
        return statuses[Int(slot)] == .welcomed && welcomes[slot] == messageID
    }

    /// Marks `id` lost.
    mutating func lose(_ id: String) {
        if let slot = slots[id] { setStatus(Int(slot), .lost) }
    }

    /// Marks the active workers of connections silent since before `now - timeout` lost;
    /// returns them, sorted.
    @discardableResult
    mutating func loseSilent(at now: Double, timeout: Double) -> [String] {
        var lost: [String] = []
        for index in links.indices where !links[index].silent && links[index].lastSeen < now - timeout {
            links[index].silent = true
            for slot in links[index].slots where statuses[Int(slot)] == .active {
                setStatus(Int(slot), .lost)
                lost.append(slotIDs[Int(slot)])
            }
        }
        return lost.sorted()
    }

    /// Marks the active workers over `peer`'s connection lost because the process behind it
    /// exited (its launcher saw it end), without waiting for its silence; returns them, sorted.
    /// Until a registration comes over the connection again, nothing heard on it brings them
    /// back. O(its workers).
    mutating func loseConnection(of peer: PeerID) -> [String] {
        guard let index = linkIndex[peer.bytes].map(Int.init) else { return [] }
        links[index].silent = true
        links[index].ended = true
        var lost: [String] = []
        for slot in links[index].slots.map(Int.init) where statuses[slot] == .active {
            setStatus(slot, .lost)
            lost.append(slotIDs[slot])
        }
        return lost.sorted()
    }
}
