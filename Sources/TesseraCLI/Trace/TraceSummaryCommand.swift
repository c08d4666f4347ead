import ArgumentParser
import Foundation
import TesseraTrace

/// `tessera trace summary RUN`: per round, per message type and per process.
struct TraceSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Per round (time split, workers, bytes), per message type (latency percentiles) and per process.",
        discussion: """
            A round's time is split along its critical path: the task's transfer to the worker whose update came \
            last (down), its training, its update's transfer back (up), the rest of the wait for it, aggregation, \
            evaluation, and the scheduler's own work between them (other). Times from different hosts are put \
            on the scheduler's clock, each process's offset estimated from the messages it exchanged.
            """)

    @OptionGroup var source: TraceRunOptions

    @Flag(help: "One JSON object per row (\"table\": round, message or process), for scripts.")
    var json = false

    func run() throws {
        let (directory, trace) = try source.load()
        let summary = TraceSummary(trace)
        if json { return printJSON(summary) }
        print("\(directory.path): \(trace.processes.count) processes, \(summary.eventCount) events over \(Format.seconds(summary.duration)) s"
              + (trace.problems.isEmpty ? "" : ", \(trace.problems.count) damaged lines skipped"))
        print("")
        printRounds(summary)
        print("")
        printMessageTypes(summary)
        print("")
        printProcesses(summary)
    }

    private func printRounds(_ summary: TraceSummary) {
        let secure = summary.rounds.contains { $0.secure > 0 }
        let virtual = summary.rounds.contains { $0.virtual != nil }
        var table = TextTable([summary.asynchronous ? "step" : "round", "seconds", summary.asynchronous ? "tasks" : "sampled",
                               summary.asynchronous ? "applied" : "answered", summary.asynchronous ? "stale" : "late", "lost",
                               "down", "up", "down s", "train s", "up s", "wait s"] + (secure ? ["secure s"] : []) + ["aggr s", "eval s", "other s"]
                              + (summary.asynchronous ? ["staleness"] : []) + (virtual ? ["virtual s", "virtual at"] : []))
        for round in summary.rounds {
            table.append(["\(round.round)", Format.seconds(round.seconds), "\(round.sampled)", "\(round.answered)", "\(round.late)",
                          "\(round.lost)", Format.bytes(round.bytesDown), Format.bytes(round.bytesUp),
                          Format.seconds(round.transferDown), Format.seconds(round.training), Format.seconds(round.transferUp),
                          Format.seconds(round.waiting)] + (secure ? [Format.seconds(round.secure)] : [])
                         + [Format.seconds(round.aggregation), Format.seconds(round.evaluation), Format.seconds(round.other)]
                         + (summary.asynchronous ? [round.staleness.map { String(format: "%.2f", $0) } ?? "-"] : [])
                         + (virtual ? [round.virtual.map { Format.seconds(($0.end ?? $0.start) - $0.start) } ?? "-",
                                       round.virtual?.end.map(Format.seconds) ?? "-"] : []))
        }
        if summary.rounds.isEmpty { print(summary.asynchronous ? "no server step in the trace" : "no round in the trace") }
        else { table.lines.forEach { print($0) } }
    }

    private func printMessageTypes(_ summary: TraceSummary) {
        var table = TextTable(["message", "count", "bytes", "undelivered", "transit p50", "p90", "p99", "reply p50", "p90", "p99"])
        for type in summary.messageTypes {
            table.append([type.type, "\(type.count)", Format.bytes(type.bytes), "\(type.undelivered)",
                          Format.latency(type.transit?.p50), Format.latency(type.transit?.p90), Format.latency(type.transit?.p99),
                          Format.latency(type.reply?.p50), Format.latency(type.reply?.p90), Format.latency(type.reply?.p99)])
        }
        table.lines.forEach { print($0) }
    }

    private func printProcesses(_ summary: TraceSummary) {
        var table = TextTable(["process", "registered", "tasks", "updates", "staleness", "stale", "sent", "received", "errors",
                               "lost", "train s", "simulated s", "clock vs \(summary.reference)"])
        for process in summary.processes {
            let staleness = process.meanStaleness.map { String(format: "%.2f (max %d)", $0, process.maxStaleness ?? 0) } ?? "-"
            table.append([process.name, "\(process.registrations)", "\(process.tasks)", "\(process.updates)", staleness,
                          "\(process.staleDrops)", Format.bytes(process.bytesSent), Format.bytes(process.bytesReceived),
                          "\(process.errors)", "\(process.lost)", Format.seconds(process.trainingSeconds),
                          Format.seconds(process.simulatedSeconds), Self.clock(process.clock)])
        }
        table.lines.forEach { print($0) }
    }

    /// "+0.4 ms ± 0.1 ms", or why the offset is not bounded.
    static func clock(_ offset: ClockOffset?) -> String {
        guard let offset else { return "-" }
        guard offset.messages > 0 else { return "not aligned (no messages)" }
        let sign = offset.seconds >= 0 ? "+" : ""
        guard let error = offset.error else { return "\(sign)\(Format.latency(offset.seconds)) (one-way only)" }
        return "\(sign)\(Format.latency(offset.seconds)) ± \(Format.latency(error))"
    }

    private func printJSON(_ summary: TraceSummary) {
        for round in summary.rounds {
            printJSONLine(["table": "round", "round": round.round, "start": round.start, "seconds": round.seconds,
                           "sampled": round.sampled, "answered": round.answered, "late": round.late, "lost": round.lost,
                           "bytes_down": round.bytesDown, "bytes_up": round.bytesUp, "transfer_down": round.transferDown,
                           "training": round.training, "transfer_up": round.transferUp, "waiting": round.waiting, "secure": round.secure,
                           "aggregation": round.aggregation, "evaluation": round.evaluation, "other": round.other,
                           "staleness": round.staleness ?? Double.nan,
                           "virtual_start": round.virtual?.start ?? Double.nan, "virtual_end": round.virtual?.end ?? Double.nan])
        }
        for type in summary.messageTypes {
            printJSONLine(["table": "message", "type": type.type, "count": type.count, "bytes": type.bytes,
                           "undelivered": type.undelivered, "transit_p50": type.transit?.p50 ?? .nan,
                           "transit_p90": type.transit?.p90 ?? .nan, "transit_p99": type.transit?.p99 ?? .nan,
                           "reply_p50": type.reply?.p50 ?? .nan, "reply_p90": type.reply?.p90 ?? .nan, "reply_p99": type.reply?.p99 ?? .nan])
        }
        for process in summary.processes {
            printJSONLine(["table": "process", "process": process.name, "registrations": process.registrations,
                           "tasks": process.tasks, "updates": process.updates, "mean_staleness": process.meanStaleness ?? .nan,
                           "stale_drops": process.staleDrops, "bytes_sent": process.bytesSent, "bytes_received": process.bytesReceived,
                           "errors": process.errors, "lost": process.lost, "training_seconds": process.trainingSeconds,
                           "simulated_seconds": process.simulatedSeconds, "clock_offset": process.clock?.seconds ?? .nan,
                           "clock_error": process.clock?.error ?? .nan])
        }
    }
}
