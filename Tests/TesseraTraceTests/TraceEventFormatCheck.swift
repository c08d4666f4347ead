import Foundation

/// A structural check of Chrome Trace Event JSON, as Perfetto and chrome://tracing read it:
/// on every track (pid, tid) timestamps never go back and each E closes an open B, nothing is
/// left open, and every flow start has exactly one end, not before it.
struct TraceEventFormatCheck {
    /// What was found wrong (empty when nothing).
    var problems: [String] = []
    /// Flows paired (a start and its end).
    var flows = 0
    /// Global instant events (round markers).
    var markers: [String] = []
    /// Process names by pid.
    var processNames: [Int: String] = [:]

    init(_ data: Data) throws {
        let document = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let events = document?["traceEvents"] as? [[String: Any]] else {
            problems.append("no traceEvents array")
            return
        }
        var last: [String: Double] = [:]
        var open: [String: Int] = [:]
        var starts: [Int: Int] = [:], ends: [Int: Int] = [:]
        var startTimes: [Int: Double] = [:], endTimes: [Int: Double] = [:]
        for event in events {
            let phase = event["ph"] as? String ?? ""
            let pid = event["pid"] as? Int ?? -1, tid = event["tid"] as? Int ?? -1
            let track = "\(pid)/\(tid)"
            if phase == "M" {
                if event["name"] as? String == "process_name" { processNames[pid] = (event["args"] as? [String: Any])?["name"] as? String }
                continue
            }
            guard let ts = event["ts"] as? Double else {
                problems.append("\(phase) event without ts")
                continue
            }
            if phase == "C" || (phase == "i" && event["s"] as? String == "g") {
                if phase == "i" { markers.append(event["name"] as? String ?? "") }
                continue
            }
            if ts < (last[track] ?? -.infinity) { problems.append("track \(track) goes back in time at \(ts)") }
            last[track] = ts
            switch phase {
            case "B": open[track, default: 0] += 1
            case "E":
                if (open[track] ?? 0) == 0 { problems.append("E without B on \(track) at \(ts)") }
                open[track, default: 0] -= 1
            case "s":
                starts[event["id"] as? Int ?? -1, default: 0] += 1
                startTimes[event["id"] as? Int ?? -1] = ts
            case "f":
                ends[event["id"] as? Int ?? -1, default: 0] += 1
                endTimes[event["id"] as? Int ?? -1] = ts
            case "X", "i": break
            default: problems.append("unexpected phase \(phase)")
            }
        }
        for (track, count) in open where count != 0 { problems.append("\(count) B left open on \(track)") }
        for (id, count) in starts where count != 1 || ends[id] != 1 { problems.append("flow \(id): \(count) starts, \(ends[id] ?? 0) ends") }
        for (id, _) in ends where starts[id] == nil { problems.append("flow \(id) ends without a start") }
        flows = starts.keys.filter { ends[$0] == 1 }.count
        let backwards = startTimes.filter { id, start in endTimes[id].map { $0 < start } ?? false }
        if !backwards.isEmpty { problems.append("\(backwards.count) flows end before they start") }
    }
}
