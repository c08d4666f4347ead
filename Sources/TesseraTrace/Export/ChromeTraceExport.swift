/// A run's merged trace as Chrome Trace Event JSON, which Perfetto UI (ui.perfetto.dev) and
/// chrome://tracing open: one process per Tessera process, its spans as nested slices (B/E
/// pairs, spread over as many threads as keep them properly nested), a "messages" thread with a
/// slice per message sent or received and a flow arrow from every send to its receive, a global
/// marker at the start of every round, and a counter of the bytes in flight on the reference
/// process. Times are microseconds since the run's first event, on the aligned clock.
public enum ChromeTraceExport {
    /// The JSON document. Time is O(n log n) in the trace's events.
    public static func json(_ trace: RunTrace) -> String {
        let origin = (trace.messages.map(\.time) + trace.spans.map(\.start)).min() ?? 0
        func micros(_ time: Double) -> String { String(format: "%.3f", max(0, (time - origin) * 1e6)) }
        let pids = Dictionary(uniqueKeysWithValues: trace.processes.enumerated().map { ($1, $0 + 1) })
        var events: [String] = []
        events.reserveCapacity(trace.spans.count * 2 + trace.messages.count * 4 + 4 * trace.processes.count)

        // Names, and the tracks each process's spans need.
        let tracks = Dictionary(grouping: trace.spans, by: \.process).mapValues(Self.nestedTracks)
        for process in trace.processes {
            let pid = pids[process] ?? 0
            events.append(#"{"ph":"M","name":"process_name","pid":\#(pid),"tid":0,"args":{"name":\#(JSONText.quoted(process))}}"#)
            events.append(#"{"ph":"M","name":"process_sort_index","pid":\#(pid),"tid":0,"args":{"sort_index":\#(pid)}}"#)
            events.append(#"{"ph":"M","name":"thread_name","pid":\#(pid),"tid":1,"args":{"name":"messages"}}"#)
            for index in (tracks[process] ?? []).indices {
                events.append(#"{"ph":"M","name":"thread_name","pid":\#(pid),"tid":\#(index + 2),"args":{"name":"work\#(index == 0 ? "" : " \(index + 1)")"}}"#)
            }
        }
        // Spans: B at the start, E at the end, in order on each track.
        for (process, processTracks) in tracks {
            let pid = pids[process] ?? 0
            for (index, spans) in processTracks.enumerated() {
                let tid = index + 2
                var open: [TracedSpan] = []
                func close(until time: Double) {
                    while let top = open.last, top.end <= time {
                        events.append(#"{"ph":"E","pid":\#(pid),"tid":\#(tid),"ts":\#(micros(top.end))}"#)
                        open.removeLast()
                    }
                }
                for span in spans {
                    close(until: span.start)
                    events.append(#"{"ph":"B","pid":\#(pid),"tid":\#(tid),"ts":\#(micros(span.start)),"name":\#(JSONText.quoted(span.name)),"args":\#(arguments(of: span))}"#)
                    open.append(span)
                }
                close(until: .infinity)
            }
        }
        // Messages: a slice at each side, a flow between them when both sides recorded it.
        var sides: [(pid: Int, time: Double, event: String)] = []
        for (index, message) in trace.messages.enumerated() {
            let arguments = #"{"from":\#(JSONText.quoted(message.sender)),"to":\#(JSONText.quoted(message.receiver)),"id":\#(message.id),"reply_to":\#(message.replyTo),"round":\#(message.round),"bytes":\#(message.bytes)}"#
            let name = JSONText.quoted(message.type)
            let flows = message.sent != nil && message.received != nil && pids[message.sender] != nil && pids[message.receiver] != nil
            if let sent = message.sent, let pid = pids[message.sender] {
                sides.append((pid, sent, #"{"ph":"X","pid":\#(pid),"tid":1,"ts":\#(micros(sent)),"dur":0,"name":\#(name),"cat":"send","args":\#(arguments)}"#))
                if flows {
                    sides.append((pid, sent, #"{"ph":"s","pid":\#(pid),"tid":1,"ts":\#(micros(sent)),"id":\#(index + 1),"name":\#(name),"cat":"message"}"#))
                }
            }
            if let received = message.received, let pid = pids[message.receiver] {
                sides.append((pid, received, #"{"ph":"X","pid":\#(pid),"tid":1,"ts":\#(micros(received)),"dur":0,"name":\#(name),"cat":"receive","args":\#(arguments)}"#))
                if flows {
                    sides.append((pid, received, #"{"ph":"f","bp":"e","pid":\#(pid),"tid":1,"ts":\#(micros(received)),"id":\#(index + 1),"name":\#(name),"cat":"message"}"#))
                }
            }
        }
        // In time order on each process's message track (a stable sort keeps a slice before its flow).
        for side in sides.enumerated().sorted(by: { ($0.element.pid, $0.element.time, $0.offset) < ($1.element.pid, $1.element.time, $1.offset) }) {
            events.append(side.element.event)
        }
        // Round markers, and bytes in flight (sent, not yet received).
        let referencePid = pids[trace.reference] ?? 1
        for round in TraceSummary(trace).rounds {
            events.append(#"{"ph":"i","s":"g","pid":\#(referencePid),"tid":1,"ts":\#(micros(round.start)),"name":"round \#(round.round)"}"#)
        }
        var changes: [(time: Double, bytes: Int)] = []
        for message in trace.messages {
            guard let sent = message.sent, let received = message.received else { continue }
            changes.append((sent, message.bytes))
            changes.append((max(sent, received), -message.bytes))
        }
        var inFlight = 0
        for change in changes.sorted(by: { ($0.time, $0.bytes) < ($1.time, $1.bytes) }) {
            inFlight += change.bytes
            events.append(#"{"ph":"C","pid":\#(referencePid),"tid":0,"ts":\#(micros(change.time)),"name":"bytes in flight","args":{"bytes":\#(inFlight)}}"#)
        }
        return "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n]}\n"
    }

    /// `spans` spread over tracks so that on each every span lies inside the one open before it
    /// or starts after it ended: B/E pairs then nest, as the format requires.
    static func nestedTracks(_ spans: [TracedSpan]) -> [[TracedSpan]] {
        var tracks: [[TracedSpan]] = []
        var stacks: [[TracedSpan]] = []
        for span in spans.sorted(by: { ($0.start, -$0.end) < ($1.start, -$1.end) }) {
            var placed = false
            for index in stacks.indices {
                while let top = stacks[index].last, top.end <= span.start { stacks[index].removeLast() }
                if stacks[index].last.map({ span.end <= $0.end }) ?? true {
                    stacks[index].append(span)
                    tracks[index].append(span)
                    placed = true
                    break
                }
            }
            if !placed {
                stacks.append([span])
                tracks.append([span])
            }
        }
        return tracks
    }

    static func arguments(of span: TracedSpan) -> String {
        var fields: [String] = []
        if let round = span.round { fields.append(#""round":\#(round)"#) }
        if let peer = span.peer { fields.append(#""peer":\#(JSONText.quoted(peer))"#) }
        if let staleness = span.staleness { fields.append(#""staleness":\#(staleness)"#) }
        if let virtual = span.virtual {
            fields.append(#""virtual_start":\#(virtual.start)"#)
            if let end = virtual.end { fields.append(#""virtual_end":\#(end)"#) }
        }
        if let detail = span.detail { fields.append(#""detail":\#(JSONText.quoted(detail))"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
