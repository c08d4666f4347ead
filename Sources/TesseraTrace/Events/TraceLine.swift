import Foundation

/// The trace file format, version 2 (docs/TRACES.md), in one place: each process's file is
/// JSON Lines, a header line when the process starts and then one short line per event, with
/// times in microseconds since the header's clock reading, so that a message costs under 100
/// bytes on each side.
///
/// Header: `{"trace":2,"process":"worker-000","pid":4242,"host":"vm","wall":1796154893.561121,"mono_ns":17672989686910}`.
/// Message: `{"t":195613,"d":"s","p":"worker-001","m":"train task","id":7,"re":3,"r":1,"b":797080}`
/// (`d` is `s` sent or `r` received; `re`, the id answered, and `r`, the round, are left out when 0).
/// Span: `{"t":48491,"s":46563,"n":"train","r":1,"p":"worker-003","st":2,"vs":12.5,"ve":30.25,"x":"detail"}`
/// (end and start; round, peer, staleness, virtual start and end, and detail only when there are any).
enum TraceLine {
    /// The format version this code writes and reads.
    static let version = 2

    /// The clocks and process of the events after a header.
    struct Header: Decodable, Equatable {
        var trace: Int
        var process: String
        var pid: Int32
        var host: String
        var wall: Double
        var monoNanoseconds: UInt64

        enum CodingKeys: String, CodingKey {
            case trace, process, pid, host, wall, monoNanoseconds = "mono_ns"
        }

        /// The monotonic time `micros` after the header, in nanoseconds.
        func mono(_ micros: Int64) -> UInt64 {
            UInt64(clamping: Int64(clamping: monoNanoseconds) &+ micros &* 1000)
        }

        /// The wall-clock time of monotonic time `mono`.
        func wall(at mono: UInt64) -> Double {
            wall + (Double(mono) - Double(monoNanoseconds)) / 1e9
        }
    }

    /// A header line for `process`, now, and its monotonic reading.
    static func header(process: String) -> (line: String, origin: UInt64) {
        let (wall, mono) = (Date().timeIntervalSince1970, TraceEvent.now())
        let line = "{\"trace\":\(version),\"process\":\(JSONText.quoted(process)),\"pid\":\(getpid())"
            + ",\"host\":\(JSONText.quoted(ProcessInfo.processInfo.hostName)),\"wall\":\(wall),\"mono_ns\":\(mono)}\n"
        return (line, mono)
    }

    /// `event` as a line, its times relative to `origin` (the header's monotonic reading).
    /// Hand-rolled: a JSONEncoder would cost tens of microseconds per line.
    static func encode(_ event: TraceEvent, origin: UInt64) -> String {
        func micros(_ mono: UInt64) -> String { String((Int64(clamping: mono) - Int64(clamping: origin)) / 1000) }
        var line = "{\"t\":"
        line.reserveCapacity(112)
        line += micros(event.monoNanoseconds)
        if event.isMessage {
            line += event.direction == "send" ? ",\"d\":\"s\"" : ",\"d\":\"r\""
            if let peer = event.peer { line += ",\"p\":"; line += JSONText.quoted(peer) }
            if let type = event.type { line += ",\"m\":"; line += JSONText.quoted(type) }
            line += ",\"id\":"; line += String(event.messageID ?? 0)
            if let replyTo = event.replyTo, replyTo != 0 { line += ",\"re\":"; line += String(replyTo) }
            if let round = event.round, round != 0 { line += ",\"r\":"; line += String(round) }
            line += ",\"b\":"; line += String(event.bytes ?? 0)
        } else {
            if let start = event.startNanoseconds { line += ",\"s\":"; line += micros(start) }
            line += ",\"n\":"; line += JSONText.quoted(event.name ?? "")
            if let round = event.round { line += ",\"r\":"; line += String(round) }
            if let peer = event.peer { line += ",\"p\":"; line += JSONText.quoted(peer) }
            if let staleness = event.staleness { line += ",\"st\":"; line += String(staleness) }
            if let start = event.virtualStart, start.isFinite { line += ",\"vs\":"; line += String(start) }
            if let end = event.virtualEnd, end.isFinite { line += ",\"ve\":"; line += String(end) }
            if let detail = event.detail { line += ",\"x\":"; line += JSONText.quoted(detail) }
        }
        line += "}\n"
        return line
    }

    /// One event line as stored.
    struct Record: Decodable {
        var t: Int64
        var d: String?
        var p: String?
        var m: String?
        var id: UInt64?
        var re: UInt64?
        var r: UInt64?
        var b: Int?
        var s: Int64?
        var n: String?
        var st: Int?
        var vs: Double?
        var ve: Double?
        var x: String?

        /// The event, its clocks and process from `header`.
        func event(after header: Header) -> TraceEvent? {
            let mono = header.mono(t)
            if let d {
                guard d == "s" || d == "r" else { return nil }
                return TraceEvent(kind: "message", wall: header.wall(at: mono), monoNanoseconds: mono, process: header.process,
                                  peer: p, direction: d == "s" ? "send" : "recv", type: m, messageID: id ?? 0, replyTo: re ?? 0,
                                  round: r ?? 0, bytes: b ?? 0, name: nil, startNanoseconds: nil, detail: nil, staleness: nil)
            }
            guard let n else { return nil }
            return TraceEvent(kind: "span", wall: header.wall(at: mono), monoNanoseconds: mono, process: header.process, peer: p,
                              direction: nil, type: nil, messageID: nil, replyTo: nil, round: r, bytes: nil, name: n,
                              startNanoseconds: s.map(header.mono), detail: x, staleness: st, virtualStart: vs, virtualEnd: ve)
        }
    }
}
