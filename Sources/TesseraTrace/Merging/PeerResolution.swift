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
                guard let peer = event.peer, let id = event.messageID else { continue }
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

    /// The process `peer` names, as seen by `process`; `peer` itself when no process matches.
    func name(of peer: String, seenBy process: String) -> String {
        names[process]?[peer] ?? peer
    }
}
