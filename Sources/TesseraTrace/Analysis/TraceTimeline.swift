/// A text Gantt chart of a run or one round: one row per process, time left to right, a
/// letter per cell for the work done there (T train, A aggregate, E evaluate, o anything else)
/// and `>` / `<` where a message was sent or received with nothing else in the cell.
public struct TraceTimeline: Sendable {
    /// The window drawn, aligned seconds since 1970.
    public let start: Double
    /// See ``start``.
    public let end: Double
    /// The chart's lines: a time axis, one row per process, and a legend.
    public let lines: [String]

    /// Draws `trace` (only `round`'s window when given) in `width` columns.
    ///
    /// - Throws: ``TraceError`` when the round is not in the trace.
    public init(_ trace: RunTrace, round: UInt64? = nil, width: Int) throws(TraceError) {
        let origin: Double, finish: Double
        if let round {
            let summary = TraceSummary(trace)
            guard let row = summary.rounds.first(where: { $0.round == round }) else {
                throw .unreadable("round \(round)", reason: "no such round in the trace (it has \(summary.rounds.map { String($0.round) }.joined(separator: ", ")))")
            }
            (origin, finish) = (row.start, row.end)
        } else {
            let times = trace.messages.map(\.time) + trace.spans.flatMap { [$0.start, $0.end] }
            (origin, finish) = (times.min() ?? 0, times.max() ?? 0)
        }
        let label = min(24, (trace.processes.map(\.count).max() ?? 8) + 1)
        let columns = max(10, width - label - 1)
        let span = max(finish - origin, 1e-6)
        func column(_ time: Double) -> Int { min(columns - 1, max(0, Int((time - origin) / span * Double(columns)))) }

        var rows: [String: [Character]] = [:]
        for process in trace.processes { rows[process] = Array(repeating: " ", count: columns) }
        // Longer spans first, so shorter ones inside them (an op inside a task) stay visible.
        for span in trace.spans.sorted(by: { $0.seconds > $1.seconds }) where span.end >= origin && span.start <= finish {
            let mark = Self.mark(of: span.name)
            for cell in column(span.start)...column(span.end) { rows[span.process]?[cell] = mark }
        }
        for message in trace.messages {
            if let sent = message.sent, sent >= origin, sent <= finish, rows[message.sender]?[column(sent)] == " " {
                rows[message.sender]?[column(sent)] = ">"
            }
            if let received = message.received, received >= origin, received <= finish, rows[message.receiver]?[column(received)] == " " {
                rows[message.receiver]?[column(received)] = "<"
            }
        }
        let axis = "0 s".padding(toLength: columns / 2, withPad: " ", startingAt: 0)
        let middle = Self.seconds(span / 2)
        let tail = Self.seconds(span)
        var ruler = axis + middle
        ruler += String(repeating: " ", count: max(1, columns - ruler.count - tail.count)) + tail
        var lines = [String(repeating: " ", count: label + 1) + ruler]
        for process in trace.processes {
            let name = process.count > label - 1 ? String(process.prefix(label - 2)) + "…" : process
            lines.append(name.padding(toLength: label, withPad: " ", startingAt: 0) + "|" + String(rows[process] ?? []))
        }
        lines.append("T train  A aggregate  E evaluate  o other work  > sent  < received")
        (start, end, self.lines) = (origin, finish, lines)
    }

    static func mark(of name: String) -> Character {
        switch name {
        case "train": "T"
        case "aggregate": "A"
        case "evaluate": "E"
        default: "o"
        }
    }

    static func seconds(_ value: Double) -> String {
        value >= 10 ? "\(Int(value.rounded())) s" : value >= 1 ? "\((value * 10).rounded() / 10) s" : "\(Int((value * 1000).rounded())) ms"
    }
}
