/// Maps the names processes gave their peers to process names: a worker knows the scheduler by
/// its address (`tcp://10.0.0.5:5555`), the scheduler knows the worker by its id. An address is
/// taken for the process whose own records match the most message ids exchanged with it.
struct PeerResolution {
    private var names: [String: [String: String]] = [:]

    init(files: [TraceFile], names processNames: Set<String>) {
        // (process, peer) -> ids sent to / received from it.
        var sent: [String: [String: Set<UInt64>]] = [:], received: [String: [String: Set<UInt64>]] = [:]
        for file in files {
            for event in file.events where event.isMessage {
                guard let raw = event.peer, let id = event.messageID else { continue }
                // A hosted client's messages go by its process (or, seen from it, the scheduler).
                let peer = HostedPeer(raw)?.party ?? raw
                if event.direction == "send" { sent[file.process, default: [:]][peer, default: []].insert(id) }
                else { received[file.process, default: [:]][peer, default: []].insert(id) }
            }
        }
        for file in files {
            let peers = Set((sent[file.process] ?? [:]).keys).union((received[file.process] ?? [:]).keys)
            for peer in peers where !processNames.contains(peer) {
                var best: (name: String, score: Int)?
                for candidate in processNames.sorted() where candidate != file.process {
                    // What the candidate sent to this process should be what this process got
                    // from the address, and the other way round.
                    let score = (received[file.process]?[peer] ?? []).intersection(sent[candidate]?[file.process] ?? []).count
                        + (sent[file.process]?[peer] ?? []).intersection(received[candidate]?[file.process] ?? []).count
                    if score > (best?.score ?? 0) { best = (candidate, score) }
                }
                if let best { names[file.process, default: [:]][peer] = best.name }
            }
        }
    }

    /// The party a message's `peer` field names, as seen by `process`, and the party on
    /// `process`'s side: `process` itself, or the client it hosts when the message is a hosted
    /// client's (docs/TRACES.md). `hosts` learns which process hosts each client.
    func parties(of peer: String, seenBy process: String, processes: Set<String>, hosts: inout [String: String]) -> (local: String, remote: String) {
        guard let hosted = HostedPeer(peer) else { return (process, name(of: peer, seenBy: process)) }
        if processes.contains(hosted.party) {
            // The scheduler's side: the peer is a client of that process.
            hosts[hosted.client] = hosted.party
            return (process, hosted.client)
        }
        // The hosting process's side: the client talks to the party named.
        hosts[hosted.client] = process
        return (hosted.client, name(of: hosted.party, seenBy: process))
    }

    /// The process `peer` names, as seen by `process`; `peer` itself when no process matches.
    func name(of peer: String, seenBy process: String) -> String {
        names[process]?[peer] ?? peer
    }
}

/// A message peer written `CLIENT@PARTY`: a client hosted with others in one process
/// (docs/PROTOCOL.md, "Many clients in one process"). The scheduler writes the client and its
/// process's identity; the process writes the client and the scheduler's address.
struct HostedPeer {
    /// The hosted client's id.
    var client: String
    /// The other side: the hosting process, or the scheduler as the process knows it.
    var party: String

    /// `peer` split at its first `@`; nil when it names no hosted client.
    init?(_ peer: String) {
        guard let at = peer.firstIndex(of: "@"), at != peer.startIndex, peer.index(after: at) != peer.endIndex else { return nil }
        (client, party) = (String(peer[..<at]), String(peer[peer.index(after: at)...]))
    }
}
