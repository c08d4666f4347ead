import ArgumentParser
import Foundation
import TesseraNN
import TesseraScheduler
import TesseraTrace

/// `tessera trace messages RUN`: one line per message, both sides' records and its reply joined.
struct TraceMessagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "One line per message: when, who to whom, type, bytes, transit, and the reply it got.",
        discussion: "Times are seconds since the run's first event, on the scheduler's clock.")

    @OptionGroup var source: TraceRunOptions

    @Option(help: "Only messages of this round (0: outside rounds).")
    var round: UInt64?

    @Option(help: "Only messages this process sent or received.")
    var worker: String?

    @Option(help: "Only messages of this type (train task, update, heartbeat, ...).")
    var type: String?

    @Option(help: "Only messages from this many seconds after the run's first event.")
    var since: Double?

    @Option(help: "Only messages up to this many seconds after the run's first event.")
    var until: Double?

    @Flag(help: "One JSON object per message.")
    var json = false

    func run() throws {
        let (_, trace) = try source.load()
        if let worker, !trace.processes.contains(worker), !trace.messages.contains(where: { $0.sender == worker || $0.receiver == worker }) {
            throw ValidationError("no process \(worker) in this run's traces; there are: \(trace.processes.joined(separator: ", "))")
        }
        let types = Set(trace.messages.map(\.type))
        if let type, !types.contains(type) {
            throw ValidationError("no message of type '\(type)' in this run's traces" + NearestName.hint(for: type, in: types)
                                  + "; there are: \(types.sorted().joined(separator: ", "))")
        }
        let origin = (trace.messages.map(\.time) + trace.spans.map(\.start)).min() ?? 0
        let replies = trace.replies()
        var shown = 0
        for (index, message) in trace.messages.enumerated() {
            let at = message.time - origin
            if let round, message.round != round { continue }
            if let worker, message.sender != worker && message.receiver != worker { continue }
            if let type, message.type != type { continue }
            if let since, at < since { continue }
            if let until, at > until { continue }
            shown += 1
            let reply = replies[index].map { trace.messages[$0] }
            let replyTime = reply.flatMap { reply in message.sent.flatMap { sent in reply.received.map { $0 - sent } } }
            if json {
                printJSONLine(["time": at, "from": message.sender, "to": message.receiver, "type": message.type, "id": message.id,
                               "reply_to": message.replyTo, "round": message.round, "bytes": message.bytes,
                               "sent": message.sent.map { $0 - origin } ?? .nan, "received": message.received.map { $0 - origin } ?? .nan,
                               "transit": message.transit ?? .nan, "reply": reply?.type ?? "", "reply_after": replyTime ?? .nan])
                continue
            }
            var line = String(format: "%10.6f  ", at) + "\(message.sender) → \(message.receiver)  \(message.type) #\(message.id)"
            if message.replyTo != 0 { line += " (re #\(message.replyTo))" }
            if message.round != 0 { line += "  round \(message.round)" }
            line += "  \(Format.bytes(message.bytes))"
            switch (message.sent, message.received) {
            case (nil, _): line += "  (no record of the send)"
            case (_, nil): line += "  never received"
            default: line += "  transit \(Format.latency(message.transit))"
            }
            if let reply { line += "  → \(reply.type)" + (replyTime.map { " after \(Format.latency($0))" } ?? "") }
            print(line)
        }
        if shown == 0 && !json { print("no message matches") }
    }
}
