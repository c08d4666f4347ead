import Foundation
import Testing
import TesseraTestSupport
import TesseraTrace

/// `tessera trace` on traces recorded by real runs: what it prints agrees with the run's
/// metrics and with the scheduler's own records.
@Suite("tessera trace", .serialized)
struct TraceCommandTests {
    /// Launches the smoke topology with `settings` into a fresh runs directory, waiting for
    /// `then` (which may act on the running launch) and for its end; returns the run directory.
    static func launch(_ settings: [String], runs: URL, then act: (ProcessHarness, URL) throws -> Void = { _, _ in }) throws -> URL {
        let launch = try ProcessHarness(["launch", "smoke", "--set", "runs=\(runs.path)"] + settings)
        defer { _ = launch.stop() }
        _ = try launch.waitForLine(containing: "round 1:", timeout: 120)
        let run = runs.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
        try act(launch, run)
        _ = try launch.waitForLine(containing: "done:", timeout: 120)
        #expect(launch.stop(timeout: 20) == 0)
        return run
    }

    static func jsonLines(_ lines: [String]) -> [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func metrics(of run: URL) throws -> [[String: Any]] {
        jsonLines(try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init))
    }

    /// `tessera trace ARGS`: its exit status and its lines (standard error too).
    static func trace(_ arguments: [String]) throws -> (status: Int32?, lines: [String]) {
        let command = try ProcessHarness(["trace"] + arguments, includingErrors: true)
        let status = command.waitForExit(timeout: 60)
        return (status, command.outputLines)
    }

    /// Each round's counts agree with metrics.jsonl: sampled, updates used, the rest late or
    /// lost; its wall time with the scheduler's to a tenth of a second (a few milliseconds on an
    /// idle machine; on a busy one the thread hops between the evaluation's end and the round's
    /// report add more, and CI once saw 7 ms).
    static func expectRoundsAgree(_ rounds: [[String: Any]], with metrics: [[String: Any]]) {
        #expect(rounds.count == metrics.count)
        for (row, metric) in zip(rounds, metrics) {
            let round = metric["round"] as? Int ?? -1
            #expect(row["round"] as? Int == round)
            #expect(row["sampled"] as? Int == metric["sampled"] as? Int, "round \(round)")
            #expect(row["answered"] as? Int == metric["received"] as? Int, "round \(round)")
            #expect((row["late"] as? Int ?? 0) + (row["lost"] as? Int ?? 0) == metric["late"] as? Int, "round \(round)")
            let seconds = row["seconds"] as? Double ?? 0, measured = metric["seconds"] as? Double ?? 0
            #expect(abs(seconds - measured) < 0.1, "round \(round): traces say \(seconds) s, the scheduler \(measured) s")
        }
    }

    @Test func summaryMessagesAndTimelineOfASmokeRun() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-trace-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let run = try Self.launch(["--rounds", "3"], runs: runs)

        let summary = try Self.trace(["summary", run.path, "--json"])
        #expect(summary.status == 0, "\(summary.lines)")
        let rows = Self.jsonLines(summary.lines)
        let rounds = rows.filter { $0["table"] as? String == "round" }
        Self.expectRoundsAgree(rounds, with: try Self.metrics(of: run))
        // Bytes per round are what the scheduler recorded sending and receiving.
        let scheduler = try TraceReader.read(run.appendingPathComponent("traces/scheduler.trace.jsonl")).events.filter(\.isMessage)
        for row in rounds {
            let round = UInt64(row["round"] as? Int ?? 0)
            let sent = scheduler.filter { $0.round == round && $0.direction == "send" }.compactMap(\.bytes).reduce(0, +)
            let received = scheduler.filter { $0.round == round && $0.direction == "recv" }.compactMap(\.bytes).reduce(0, +)
            #expect(row["bytes_down"] as? Int == sent && row["bytes_up"] as? Int == received, "round \(round)")
        }
        let types = Dictionary(uniqueKeysWithValues: rows.filter { $0["table"] as? String == "message" }.map { ($0["type"] as? String ?? "", $0) })
        #expect(types["train task"]?["count"] as? Int == 9 && types["update"]?["count"] as? Int == 9)
        #expect(types["train task"]?["undelivered"] as? Int == 0)
        #expect((types["train task"]?["reply_p50"] as? Double ?? 0) > (types["train task"]?["transit_p50"] as? Double ?? 1),
                "a task's reply comes after its training, later than its arrival")
        let processes = rows.filter { $0["table"] as? String == "process" }
        #expect(processes.map { $0["process"] as? String } == ["worker-000", "worker-001", "worker-002"])
        #expect(processes.allSatisfy { $0["updates"] as? Int == 3 && abs($0["clock_offset"] as? Double ?? 1) < 0.01 })

        // The table has the same rounds; `latest` under --runs names the same run.
        let table = try Self.trace(["summary", "--runs", runs.path])
        #expect(table.status == 0)
        #expect(table.lines.contains { $0.hasPrefix("round ") && $0.contains("train s") })
        #expect(table.lines.first?.contains(run.lastPathComponent) == true, "\(table.lines.first ?? "")")

        let messages = try Self.trace(["messages", run.path, "--type", "update", "--round", "2"])
        #expect(messages.status == 0)
        #expect(messages.lines.count == 3 && messages.lines.allSatisfy { $0.contains("→ scheduler  update") && $0.contains("round 2") },
                "\(messages.lines)")
        let tasks = try Self.trace(["messages", run.path, "--worker", "worker-001", "--type", "train task", "--json"])
        let joined = Self.jsonLines(tasks.lines)
        #expect(joined.count == 3 && joined.allSatisfy { $0["to"] as? String == "worker-001" && $0["reply"] as? String == "update" })
        let window = Self.jsonLines(try Self.trace(["messages", run.path, "--since", "0.5", "--until", "0.8", "--json"]).lines)
        let everything = Self.jsonLines(try Self.trace(["messages", run.path, "--json"]).lines)
        #expect(window.allSatisfy { ($0["time"] as? Double ?? -1) >= 0.5 && ($0["time"] as? Double ?? 9) <= 0.8 })
        #expect(window.count == everything.filter { ($0["time"] as? Double ?? -1) >= 0.5 && ($0["time"] as? Double ?? 9) <= 0.8 }.count)
        let unknown = try Self.trace(["messages", run.path, "--worker", "nobody"])
        #expect(unknown.status == 2 && unknown.lines.contains { $0.contains("no process nobody") }, "\(unknown.lines)")

        let timeline = try Self.trace(["timeline", run.path, "--round", "2", "--width", "80"])
        #expect(timeline.status == 0)
        #expect(timeline.lines.allSatisfy { $0.count <= 80 }, "\(timeline.lines)")
        for process in ["scheduler", "worker-000", "worker-001", "worker-002"] {
            #expect(timeline.lines.contains { $0.hasPrefix(process) && $0.contains("|") }, "\(process)")
        }
        #expect(timeline.lines.contains { $0.hasPrefix("worker-000") && $0.contains("T") }, "worker-000 trains in round 2")
        let missing = try Self.trace(["timeline", run.path, "--round", "9"])
        #expect(missing.status == 1 && missing.lines.contains { $0.contains("no such round") })

        try Self.expectValidExport(of: run, rounds: 3, processes: 4)
    }

    /// The Perfetto export passes the Trace Event format's structural check, names every
    /// process, marks every round, and pairs at least 99% of the delivered messages by flows.
    static func expectValidExport(of run: URL, rounds: Int, processes: Int) throws {
        let file = run.appendingPathComponent("trace.json")
        let export = try trace(["export", run.path, "--format", "perfetto", "--output", file.path])
        #expect(export.status == 0 && export.lines.contains { $0.contains("wrote \(file.path)") }, "\(export.lines)")
        let check = try TraceEventFormatCheck(Data(contentsOf: file))
        #expect(check.problems.isEmpty, "\(check.problems.prefix(5))")
        #expect(check.processNames.count == processes)
        #expect(check.markers == (1...rounds).map { "round \($0)" })
        let delivered = jsonLines(try trace(["messages", run.path, "--json"]).lines).filter { $0["received"] is Double && $0["sent"] is Double }
        // One host, one clock: no message arrives before it left.
        let negative = delivered.filter { ($0["transit"] as? Double ?? 0) < 0 }
        #expect(negative.isEmpty, "\(negative.count) messages with negative transit, e.g. \(negative.prefix(3))")
        #expect(Double(check.flows) >= 0.99 * Double(delivered.count), "\(check.flows) flows for \(delivered.count) delivered messages")
        let unknown = try trace(["export", run.path, "--format", "svg"])
        #expect(unknown.status == 2)
    }

    /// A worker killed mid-run (its trace then cut mid-line, as if killed while writing): the
    /// trace is read up to the damage with a warning, and the rounds still agree with the
    /// scheduler's metrics, the killed worker's last task undelivered or unanswered.
    @Test func aRunWithAKilledWorkerAndATornTrace() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-trace-kill-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let run = try Self.launch(["--rounds", "5", "--heartbeat-timeout", "3", "--simulate", "0-2: latency=0.3"], runs: runs) { _, run in
            let traces = run.appendingPathComponent("traces").path
            let victim = try #require(try processIDs(withCommandLineContaining: "--id worker-001 --trace-dir \(traces)").first)
            kill(victim, SIGKILL)
        }
        let killed = run.appendingPathComponent("traces/worker-001.trace.jsonl")
        let handle = try FileHandle(forWritingTo: killed)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"kind":"message","wall":1796"#.utf8))
        try handle.close()
        let lineCount = try String(contentsOf: killed, encoding: .utf8).split(separator: "\n").count

        let summary = try Self.trace(["summary", run.path, "--json"])
        #expect(summary.status == 0)
        #expect(summary.lines.contains { $0.hasPrefix("warning:") && $0.contains("worker-001.trace.jsonl: line \(lineCount) is cut off") },
                "\(summary.lines.filter { !$0.hasPrefix("{") })")
        let rows = Self.jsonLines(summary.lines)
        let metrics = try Self.metrics(of: run)
        Self.expectRoundsAgree(rows.filter { $0["table"] as? String == "round" }, with: metrics)
        #expect(metrics.contains { ($0["late"] as? Int ?? 0) > 0 }, "the kill cost a round an update")
        let processes = Dictionary(uniqueKeysWithValues: rows.filter { $0["table"] as? String == "process" }.map { ($0["process"] as? String ?? "", $0) })
        #expect((processes["worker-001"]?["updates"] as? Int ?? 9) < (processes["worker-000"]?["updates"] as? Int ?? 0))
        #expect((processes["worker-001"]?["lost"] as? Int ?? 0) >= 1, "the scheduler's silent-worker record is counted")
        try Self.expectValidExport(of: run, rounds: 5, processes: 4)
    }
}
