import Foundation

/// A run's traces merged: every process's file read, the addresses processes knew each other
/// by resolved to process names, each message's send joined to its receive, and every time put
/// on one clock (the ``reference`` process's, offsets estimated from the messages exchanged).
public struct RunTrace: Sendable {
    /// The files read, sorted by name.
    public let files: [TraceFile]
    /// The process whose clock the others are aligned to: the scheduler when there is one.
    public let reference: String
    /// Every process with a trace, the reference first.
    public let processes: [String]
    /// Each process's clock offset from the reference.
    public let offsets: [String: ClockOffset]
    /// Every message, joined, in time order.
    public let messages: [TracedMessage]
    /// Every span, in start order.
    public let spans: [TracedSpan]
    /// The process hosting each client that shares one with others (messages name the client).
    public let hosts: [String: String]

    /// Damage found in the files (torn or corrupt lines), each already skipped.
    public var problems: [TraceProblem] { files.flatMap(\.problems) }

    /// Reads and merges the traces in `directory` (a run directory or its `traces` folder).
    ///
    /// - Throws: ``TraceError`` when there is no trace to read.
    public init(directory: URL) throws(TraceError) {
        let traces = directory.appendingPathComponent("traces")
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: traces.path, isDirectory: &isDirectory) && isDirectory.boolValue ? traces : directory
        self.init(files: try TraceReader.readDirectory(folder))
    }

    /// Merges `files`. Time is O(n log n) in the number of events.
    public init(files: [TraceFile]) {
        let names = Set(files.map(\.process))
        let reference = names.contains("scheduler") ? "scheduler" : files.map(\.process).sorted().first ?? ""
        // Processes on the reference's host share its clocks: read on its anchor, they need no
        // estimated offset (an estimate from message delays is off by their asymmetry).
        let home = files.first { $0.process == reference }
        let sameHost = Set(files.filter { home?.host != nil && $0.host == home?.host }.map(\.process))
        let files = files.map { file in home?.clock.map { sameHost.contains(file.process) ? file.anchored(to: $0) : file } ?? file }
        self.files = files
        self.reference = reference
        processes = [reference] + names.subtracting([reference]).sorted()
        let resolve = PeerResolution(files: files, names: names)

        var records: [MessageKey: (sends: [TraceEvent], receives: [TraceEvent])] = [:]
        var hosts: [String: String] = [:]
        for file in files {
            for event in file.events where event.isMessage {
                guard let id = event.messageID, let rawPeer = event.peer else { continue }
                let (local, peer) = resolve.parties(of: rawPeer, seenBy: file.process, processes: names, hosts: &hosts)
                if event.direction == "send" {
                    records[MessageKey(sender: local, receiver: peer, id: id, type: event.type ?? ""), default: ([], [])].sends.append(event)
                } else {
                    records[MessageKey(sender: peer, receiver: local, id: id, type: event.type ?? ""), default: ([], [])].receives.append(event)
                }
            }
        }
        // A hosted client keeps its process's clock.
        func withClients(_ offsets: [String: Double]) -> [String: Double] {
            offsets.merging(hosts.compactMap { client, host in offsets[host].map { (client, $0) } }, uniquingKeysWith: { own, _ in own })
        }
        // Join once on raw clocks (ids are unique but for restarted processes, whose
        // records are joined by time with a wide margin), align the clocks on the unambiguous
        // pairs, then join again on the aligned clocks.
        let rough = Self.join(records, offsets: [:], margin: 10)
        let estimated = Self.estimateOffsets(rough.filter(\.unambiguous), reference: reference, processes: processes, sameHost: sameHost,
                                             hosts: hosts)
        let joined = Self.join(records, offsets: withClients(estimated.mapValues(\.seconds)),
                               margin: 0.05 + (estimated.values.compactMap(\.error).max() ?? 0))
        offsets = Self.estimateOffsets(joined.filter(\.unambiguous), reference: reference, processes: processes, sameHost: sameHost, hosts: hosts)
        let shift = withClients(offsets.mapValues(\.seconds))
        self.hosts = hosts
        messages = joined.map { $0.message(offsets: shift) }.sorted { ($0.time, $0.sender, $0.id) < ($1.time, $1.sender, $1.id) }
        spans = files.flatMap { file in
            let offset = shift[file.process] ?? 0
            return file.events.filter { !$0.isMessage }.map { event in
                TracedSpan(process: file.process, name: event.name ?? "", start: event.startWall - offset, end: event.wall - offset,
                           round: event.round, peer: event.peer.map { resolve.name(of: $0, seenBy: file.process) },
                           detail: event.detail, staleness: event.staleness,
                           virtual: event.virtualStart.map { VirtualSpan(start: $0, end: event.virtualEnd) })
            }
        }.sorted { ($0.start, $0.process) < ($1.start, $1.process) }
    }

    /// The process a send or receive belongs to and the message's identity.
    struct MessageKey: Hashable {
        var sender: String
        var receiver: String
        var id: UInt64
        var type: String
    }

    /// A send joined to its receive (either may be missing).
    struct Pair {
        var key: MessageKey
        var send: TraceEvent?
        var receive: TraceEvent?
        /// Whether the key had one send and at most one receive.
        var unambiguous: Bool

        func message(offsets: [String: Double]) -> TracedMessage {
            let event = send ?? receive
            return TracedMessage(sender: key.sender, receiver: key.receiver, type: key.type, id: key.id, replyTo: event?.replyTo ?? 0,
                                 round: event?.round ?? 0, bytes: event?.bytes ?? 0,
                                 sent: send.map { $0.wall - (offsets[key.sender] ?? 0) },
                                 received: receive.map { $0.wall - (offsets[key.receiver] ?? 0) })
        }
    }

    /// Joins each key's sends to its receives: each receive to the latest send not after it
    /// (give or take `margin` seconds), in time order; sends left over were never received.
    static func join(_ records: [MessageKey: (sends: [TraceEvent], receives: [TraceEvent])], offsets: [String: Double],
                     margin: Double) -> [Pair] {
        var pairs: [Pair] = []
        pairs.reserveCapacity(records.count)
        for (key, record) in records {
            if record.sends.count <= 1 && record.receives.count <= 1 {
                pairs.append(Pair(key: key, send: record.sends.first, receive: record.receives.first, unambiguous: true))
                continue
            }
            let sendOffset = offsets[key.sender] ?? 0, receiveOffset = offsets[key.receiver] ?? 0
            let sends = record.sends.sorted { $0.wall < $1.wall }, receives = record.receives.sorted { $0.wall < $1.wall }
            var used = [Bool](repeating: false, count: sends.count)
            var next = 0
            for receive in receives {
                let arrival = receive.wall - receiveOffset + margin
                var chosen: Int?
                while next < sends.count && sends[next].wall - sendOffset <= arrival { chosen = next; next += 1 }
                if let chosen, !used[chosen] {
                    used[chosen] = true
                    pairs.append(Pair(key: key, send: sends[chosen], receive: receive, unambiguous: false))
                } else {
                    pairs.append(Pair(key: key, send: nil, receive: receive, unambiguous: false))
                }
            }
            for (index, send) in sends.enumerated() where !used[index] {
                pairs.append(Pair(key: key, send: send, receive: nil, unambiguous: false))
            }
        }
        return pairs
    }

    /// Offsets of every process from `reference`: none for those on its host (`sameHost`,
    /// already on its clock), and for the others spreading out from those over the processes
    /// that exchanged messages (each aligned against the best-aligned neighbour found first).
    static func estimateOffsets(_ pairs: [Pair], reference: String, processes: [String], sameHost: Set<String> = [],
                                hosts: [String: String] = [:]) -> [String: ClockOffset] {
        var bounds: [String: [String: DelayBounds]] = [:]
        for pair in pairs {
            // A hosted client's messages bound its process's clock.
            let (sender, receiver) = (hosts[pair.key.sender] ?? pair.key.sender, hosts[pair.key.receiver] ?? pair.key.receiver)
            guard let send = pair.send, let receive = pair.receive, sender != receiver else { continue }
            let delay = receive.wall - send.wall
            // Stored both ways: from the sender's side it bounds the receiver from above.
            bounds[sender, default: [:]][receiver, default: DelayBounds()].note(forward: delay)
            bounds[receiver, default: [:]][sender, default: DelayBounds()].note(backward: delay)
        }
        var offsets: [String: ClockOffset] = [reference: .reference]
        for process in sameHost.subtracting([reference]) {
            let messages = (bounds[reference]?[process]).map { $0.forward.count + $0.backward.count } ?? 0
            offsets[process] = ClockOffset(seconds: 0, error: 0, messages: messages, via: "same host")
        }
        var frontier = [reference] + sameHost.subtracting([reference]).sorted()
        while !frontier.isEmpty {
            var next: [String] = []
            for known in frontier {
                guard let base = offsets[known] else { continue }
                for (other, bound) in (bounds[known] ?? [:]).sorted(by: { $0.key < $1.key }) where offsets[other] == nil {
                    offsets[other] = bound.offset(after: base, via: known)
                    next.append(other)
                }
            }
            frontier = next
        }
        for process in processes where offsets[process] == nil {
            offsets[process] = ClockOffset(seconds: 0, error: nil, messages: 0, via: nil)
        }
        return offsets
    }
}
