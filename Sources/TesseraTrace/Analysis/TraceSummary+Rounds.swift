extension TraceSummary {
    /// Synchronous rounds: from the end of the round before (the first train task sent, for the
    /// first round of a run or of a resumed run) to the end of the round's evaluation (central,
    /// then the workers' on held-out data when the run has any), as `metrics.jsonl` counts them.
    static func rounds(_ trace: RunTrace) -> [Round] {
        let scheduler = trace.reference
        let tasks = Dictionary(grouping: trace.messages.filter { $0.sender == scheduler && $0.type == "train task" && $0.round > 0 }, by: \.round)
        // What answers a train task: an update, or in a secure round the worker's keys (its
        // update arrives masked, and the inputs in the sum are the masked inputs).
        let updates = Dictionary(grouping: trace.messages.filter { $0.receiver == scheduler && ["update", "secagg keys"].contains($0.type) && $0.round > 0 },
                                 by: \.round)
        let masked = Dictionary(grouping: trace.messages.filter { $0.receiver == scheduler && $0.type == "secagg masked input" && $0.round > 0 },
                                by: \.round)
        let traffic = Dictionary(grouping: trace.messages.filter { $0.round > 0 && ($0.sender == scheduler || $0.receiver == scheduler) }, by: \.round)
        let ownSpans = Dictionary(grouping: trace.spans.filter { $0.process == scheduler && $0.round != nil }, by: { $0.round ?? 0 })
        let training = Dictionary(grouping: trace.spans.filter { $0.name == "train" && $0.round != nil }, by: { $0.round ?? 0 })
        var previous: (round: UInt64, end: Double)?
        return tasks.keys.sorted().compactMap { number in
            let sent = tasks[number] ?? []
            guard let firstTask = sent.compactMap(\.sent).min() else { return nil }
            let start = previous.flatMap { $0.round == number - 1 && $0.end <= firstTask ? $0.end : nil } ?? firstTask
            let spans = ownSpans[number] ?? []
            let aggregate = spans.first { $0.name == "aggregate" }
            let evaluate = spans.first { $0.name == "evaluate" }
            let refused = Set(spans.filter { ["rejected update", "rejected step"].contains($0.name) }.compactMap(\.peer))
            let unmasked = spans.first { $0.name == "secagg unmask" || $0.name == "secagg failed" }
            let closed = spans.first { $0.name == "secagg keys" }?.start ?? aggregate?.start ?? evaluate?.start ?? .infinity
            let arrived = (updates[number] ?? []).filter { $0.received != nil }
            let inTime = arrived.filter { ($0.received ?? .infinity) <= closed }
            let answered = inTime.filter { !refused.contains($0.sender) }
            // In a secure round, the workers whose masked inputs the sum holds.
            let inputs = Set((masked[number] ?? []).filter { $0.received != nil && !refused.contains($0.sender) }.map(\.sender))
            let late = Set(arrived.filter { ($0.received ?? 0) > closed }.map(\.sender)).count
            let sampled = Set(sent.map(\.receiver)).count
            let bytes = traffic[number] ?? []
            // Held-out evaluation follows the central one: its last reply ends the round.
            let evaluationReplies = bytes.filter { $0.receiver == scheduler && $0.type == "evaluation" }.compactMap(\.received)
            let end = max(evaluate?.end ?? aggregate?.end ?? start, answered.compactMap(\.received).max() ?? start, evaluationReplies.max() ?? start)
            var round = Round(round: number, start: start, end: end,
                              sampled: sampled, answered: masked[number] == nil ? answered.count : inputs.count, late: late,
                              lost: max(0, sampled - (masked[number] == nil ? answered.count : inputs.count) - late),
                              bytesDown: bytes.filter { $0.sender == scheduler }.reduce(0) { $0 + $1.bytes },
                              bytesUp: bytes.filter { $0.receiver == scheduler }.reduce(0) { $0 + $1.bytes },
                              transferDown: 0, training: 0, transferUp: 0, waiting: 0,
                              aggregation: aggregate?.seconds ?? 0, evaluation: evaluate.map { end - $0.start } ?? 0, staleness: nil)
            // The critical path runs through the update that came last.
            if let last = answered.max(by: { ($0.received ?? 0) < ($1.received ?? 0) }), let arrival = last.received {
                let task = sent.first { $0.receiver == last.sender }
                // Transfers are durations: a clock error bound's worth below zero reads as none.
                round.transferDown = max(0, task?.transit ?? 0)
                // A client hosted with others is named in its process's spans.
                round.training = (training[number] ?? []).filter { $0.process == last.sender || $0.peer == last.sender }.map(\.seconds).reduce(0, +)
                round.transferUp = max(0, last.transit ?? 0)
                round.waiting = max(0, arrival - start - round.transferDown - round.training - round.transferUp)
                if let unmasked { round.secure = max(0, unmasked.end - arrival) }
            }
            round.virtual = spans.first { $0.name == "virtual round" }?.virtual
            previous = (number, end)
            return round
        }
    }

    /// Asynchronous server steps: from the previous step's aggregation to this one's (and its
    /// evaluation, when it had one).
    static func steps(_ trace: RunTrace) -> [Round] {
        let scheduler = trace.reference
        let own = trace.spans.filter { $0.process == scheduler }
        let aggregates = own.filter { $0.name == "aggregate" && $0.round != nil }.sorted { $0.end < $1.end }
        let accepted = Dictionary(grouping: own.filter { $0.name == "accepted update" }, by: { $0.round ?? 0 })
        let stale = Dictionary(grouping: own.filter { $0.name == "stale update" }, by: { $0.round ?? 0 })
        let evaluations = Dictionary(own.filter { $0.name == "evaluate" }.map { ($0.round ?? 0, $0) }, uniquingKeysWith: { first, _ in first })
        let firstTask = trace.messages.filter { $0.sender == scheduler && $0.type == "train task" }.compactMap(\.sent).min()
        var previous = firstTask ?? aggregates.first?.start ?? 0
        var previousVirtual = 0.0
        return aggregates.map { aggregate in
            let number = aggregate.round ?? 0
            let evaluate = evaluations[number]
            let end = evaluate?.end ?? aggregate.end
            let window = trace.messages.filter { ($0.sender == scheduler || $0.receiver == scheduler) && $0.time > previous && $0.time <= end }
            let applied = accepted[number - 1] ?? []
            let stalenesses = applied.compactMap(\.staleness)
            var row = Round(round: number, start: previous, end: end,
                            sampled: window.filter { $0.sender == scheduler && $0.type == "train task" }.count,
                            answered: applied.count, late: (stale[number - 1] ?? []).count, lost: 0,
                            bytesDown: window.filter { $0.sender == scheduler }.reduce(0) { $0 + $1.bytes },
                            bytesUp: window.filter { $0.receiver == scheduler }.reduce(0) { $0 + $1.bytes },
                            transferDown: 0, training: 0, transferUp: 0, waiting: 0,
                            aggregation: aggregate.seconds, evaluation: evaluate?.seconds ?? 0,
                            staleness: stalenesses.isEmpty ? nil : Double(stalenesses.reduce(0, +)) / Double(stalenesses.count))
            if let virtual = aggregate.virtual {
                row.virtual = VirtualSpan(start: previousVirtual, end: virtual.start)
                previousVirtual = virtual.start
            }
            previous = end
            return row
        }
    }
}
