extension TraceSummary {
    /// Counts, bytes, transit and reply times per message type.
    static func messageTypes(_ trace: RunTrace) -> [MessageType] {
        let replies = trace.replies()
        let indices = Dictionary(grouping: trace.messages.indices, by: { trace.messages[$0].type })
        return indices.map { type, members in
            let messages = members.map { trace.messages[$0] }
            let replyTimes = members.compactMap { index -> Double? in
                guard let sent = trace.messages[index].sent, let reply = replies[index], let received = trace.messages[reply].received else { return nil }
                return received - sent
            }
            return MessageType(type: type, count: messages.count, bytes: messages.reduce(0) { $0 + $1.bytes },
                               undelivered: messages.filter { $0.sent != nil && $0.received == nil }.count,
                               transit: Percentiles(messages.compactMap(\.transit)), reply: Percentiles(replyTimes))
        }.sorted { $0.type < $1.type }
    }

    /// Per process other than the reference; a process hosting clients counts theirs.
    static func processes(_ trace: RunTrace) -> [Process] {
        let scheduler = trace.reference
        let ownSpans = trace.spans.filter { $0.process == scheduler }
        func process(of party: String?) -> String? { party.map { trace.hosts[$0] ?? $0 } }
        return trace.processes.filter { $0 != scheduler }.map { name in
            let sent = trace.messages.filter { process(of: $0.sender) == name }
            let received = trace.messages.filter { process(of: $0.receiver) == name }
            let about = ownSpans.filter { process(of: $0.peer) == name }
            let applied = about.filter { $0.name == "accepted update" }.compactMap(\.staleness)
            let spans = trace.spans.filter { $0.process == name }
            return Process(name: name, registrations: sent.filter { $0.type == "register" }.count,
                           tasks: received.filter { $0.type == "train task" && $0.received != nil }.count,
                           updates: sent.filter { $0.type == "update" }.count,
                           meanStaleness: applied.isEmpty ? nil : Double(applied.reduce(0, +)) / Double(applied.count),
                           maxStaleness: applied.max(), staleDrops: about.filter { $0.name == "stale update" }.count,
                           bytesSent: sent.reduce(0) { $0 + $1.bytes }, bytesReceived: received.reduce(0) { $0 + $1.bytes },
                           errors: (sent + received).filter { $0.type == "error" }.count + about.filter { $0.name.hasPrefix("rejected") }.count,
                           lost: about.filter { ["silent worker", "process exited"].contains($0.name) }.count,
                           trainingSeconds: spans.filter { $0.name == "train" }.map(\.seconds).reduce(0, +),
                           simulatedSeconds: spans.filter { $0.name.hasPrefix("simulated") }.map(\.seconds).reduce(0, +),
                           clock: trace.offsets[name])
        }
    }
}
