import Foundation
import Testing
import TesseraTestSupport
import TesseraTrace

/// The HTML report `tessera launch` writes, rendered by a real browser (headless Chromium).
@Suite("Run report", .serialized)
struct ReportTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The part of `html` inside the chart named `chart`.
    static func chart(_ chart: String, in html: String) -> Substring? {
        guard let start = html.range(of: "<svg data-chart=\"\(chart)\"") else { return nil }
        guard let end = html[start.upperBound...].range(of: "</svg>") else { return nil }
        return html[start.lowerBound..<end.upperBound]
    }

    static func count(_ needle: String, in text: Substring?) -> Int {
        text.map { $0.components(separatedBy: needle).count - 1 } ?? -1
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed (make test installs Debian's when run as root)"))
    func theReportRendersInChromiumWithEveryChart() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let launch = try ProcessHarness(["launch", "smoke", "--rounds", "3", "--set", "data.held_out=0.1", "--set", "runs=\(runs.path)"])
        defer { _ = launch.stop() }
        let line = try launch.waitForLine(containing: "report: ", timeout: 120)
        #expect(launch.stop(timeout: 20) == 0)
        let report = String(line.split(separator: " ").last ?? "")
        #expect(report.hasSuffix("/report.html") && FileManager.default.fileExists(atPath: report), "\(line)")

        let profile = runs.appendingPathComponent("chromium-profile")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"]
        let dom = try ProcessHarness(program: Self.chromium ?? "chromium", common + ["--dump-dom", "file://\(report)"], includingErrors: true)
        #expect(dom.waitForExit(timeout: 90) == 0)
        let lines = dom.outputLines
        #expect(!lines.contains { $0.contains(":CONSOLE") }, "console messages: \(lines.filter { $0.contains(":CONSOLE") })")
        let html = lines.filter { !$0.hasPrefix("[") }.joined(separator: "\n")
        // 3 rounds: two accuracy and three loss series, seven time parts and two byte
        // directions per round; four processes; three clients.
        #expect(Self.count("data-point=", in: Self.chart("accuracy", in: html)) == 6)
        #expect(Self.count("data-point=", in: Self.chart("loss", in: html)) == 9)
        #expect(Self.count("data-bar=", in: Self.chart("durations", in: html)) == 21)
        #expect(Self.count("data-bar=", in: Self.chart("bytes", in: html)) == 6)
        #expect(Self.count("data-row=", in: Self.chart("timeline", in: html)) == 4)
        #expect(Self.count("data-row=", in: Self.chart("labels", in: html)) == 3)
        #expect(html.contains("data-section=\"topology\"") && html.contains("data-section=\"environment\""))
        // Self-contained: no script, and nothing loaded from anywhere.
        for needle in ["<script", "src=", "href=", "@import", "url("] { #expect(!html.contains(needle), "\(needle)") }

        let screenshot = runs.appendingPathComponent("report.png")
        let shot = try ProcessHarness(program: Self.chromium ?? "chromium",
                                      common + ["--screenshot=\(screenshot.path)", "--window-size=1000,2400", "file://\(report)"], includingErrors: true)
        #expect(shot.waitForExit(timeout: 90) == 0)
        guard pythonAvailable else { return }
        let ink = try ProcessHarness(program: "python3", ["scripts/png_ink.py", screenshot.path], includingErrors: true)
        #expect(ink.waitForExit(timeout: 60) == 0)
        let share = Double(ink.outputLines.last ?? "") ?? 0
        #expect(share > 0.05, "the screenshot is \(share * 100)% ink: blank")
    }

    /// An asynchronous run: the summary's rows are server steps with the updates each applied,
    /// and the report has the staleness histogram, one bar per staleness seen, applied and dropped.
    @Test func anAsynchronousRunsStepsAndStaleness() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-async-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let launch = try ProcessHarness(["launch", "smoke", "--mode", "fedbuff", "--buffer-size", "2", "--rounds", "4",
                                         "--max-concurrent-trainers", "3", "--set", "runs=\(runs.path)"])
        defer { _ = launch.stop() }
        let line = try launch.waitForLine(containing: "report: ", timeout: 120)
        #expect(launch.stop(timeout: 20) == 0)
        let directory = URL(fileURLWithPath: String(line.split(separator: " ").last ?? "")).deletingLastPathComponent()
        let summary = TraceSummary(try RunTrace(directory: directory))
        #expect(summary.asynchronous)
        #expect(summary.rounds.map(\.round) == [1, 2, 3, 4])
        #expect(summary.rounds.allSatisfy { $0.answered == 2 }, "\(summary.rounds.map(\.answered))")
        let html = try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8)
        let staleness = Self.chart("staleness", in: html)
        let seen = summary.processes.compactMap(\.maxStaleness).max() ?? 0
        #expect(Self.count("data-bar=", in: staleness) == 2 * (seen + 1), "\(String(staleness ?? "none"))")
        #expect(Self.count("data-point=", in: Self.chart("accuracy", in: html)) == 4)
    }

    /// On virtual time, with clients hosted two to a process: the traces join each hosted
    /// client's messages, `tessera trace summary` has each round's virtual seconds, and the
    /// report charts accuracy against the virtual clock and every task on it.
    @Test func aRunOnVirtualTimeChartsItsClock() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-virtual-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let launch = try ProcessHarness(["launch", "smoke", "--rounds", "3", "--workers", "4", "--clients-per-process", "2",
                                         "--clock", "virtual", "--set", "runs=\(runs.path)"])
        defer { _ = launch.stop() }
        let line = try launch.waitForLine(containing: "report: ", timeout: 120)
        #expect(launch.stop(timeout: 20) == 0)
        let directory = URL(fileURLWithPath: String(line.split(separator: " ").last ?? "")).deletingLastPathComponent()
        let trace = try RunTrace(directory: directory)
        let summary = TraceSummary(trace)
        let ends = summary.rounds.compactMap { $0.virtual?.end }
        #expect(ends.count == 3 && ends == ends.sorted() && (ends.first ?? 0) > 0, "\(summary.rounds.map(\.virtual))")
        let tasks = trace.messages.filter { $0.type == "train task" }
        #expect(tasks.count == 12 && tasks.allSatisfy { $0.transit != nil && $0.receiver.contains("/") }, "\(tasks.map(\.receiver))")
        #expect(Set(tasks.compactMap { trace.hosts[$0.receiver] }) == ["worker-000", "worker-001"])
        #expect(summary.processes.map(\.tasks) == [6, 6], "\(summary.processes.map(\.tasks))")
        // The run's end is said once to each process, for all its clients.
        let byes = trace.messages.filter { $0.type == "bye" && $0.sender == "scheduler" }
        #expect(byes.map(\.receiver).sorted() == ["worker-000", "worker-001"] && byes.allSatisfy { $0.received != nil }, "\(byes)")
        let virtualTasks = trace.spans.filter { $0.name == "virtual task" }
        #expect(virtualTasks.count == 12 && virtualTasks.allSatisfy { $0.virtual?.end != nil })
        let html = try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(Self.count("data-point=", in: Self.chart("virtual-accuracy", in: html)) == 3)
        #expect(Self.count("<title>", in: Self.chart("virtual-timeline", in: html)) == 12)
    }

    /// A private run's report charts the ε spent after each round.
    @Test func aPrivateRunsReportChartsEpsilon() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-dp-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = (1...4).map { #"{"round":\#($0),"accuracy":0.5,"loss":1,"privacy":{"epsilon":\#(Double($0) * 1.5),"delta":1e-05,"clip":1,"clipped":0,"noise":1}}"# }
        try (rows.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let html = RunReport(directory: directory).html()
        #expect(Self.count("data-point=", in: Self.chart("privacy", in: html)) == 4)
        #expect(html.contains("δ = 1e-05"))
        // A run without privacy has no such chart.
        try "{\"round\":1,\"accuracy\":0.5,\"loss\":1}\n".write(to: directory.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        #expect(Self.chart("privacy", in: RunReport(directory: directory).html()) == nil)
    }

    /// `tessera compare`'s page: one line per run and the target, with the table.
    @Test func aComparisonDrawsEveryRunAndTheTarget() {
        let runs = [ComparisonReport.Run(name: "sync", evaluations: [(10, 0.5), (20, 0.9)], directory: URL(fileURLWithPath: "/tmp/a")),
                    ComparisonReport.Run(name: "fedbuff", evaluations: [(4, 0.6), (8, 0.8), (12, 0.92)], directory: URL(fileURLWithPath: "/tmp/b"))]
        let html = ComparisonReport(runs: runs, target: 0.9, table: "sync 20.0 s").html()
        let chart = Self.chart("comparison", in: html)
        #expect(Self.count("data-point=\"sync\"", in: chart) == 2 && Self.count("data-point=\"fedbuff\"", in: chart) == 3)
        #expect(Self.count("data-point=\"target 90.00%\"", in: chart) == 2)
        #expect(html.contains("sync 20.0 s") && html.contains("/tmp/b/report.html"))
    }

    /// Accuracy from 95 % to 97.9 % fills the chart (its axis fitted, with the break marked), and
    /// a two-round run has both its round labels.
    @Test func accuracyIsChartedOnAnAxisFittedToIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-fit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try (#"{"round":1,"accuracy":0.95,"loss":0.21}"# + "\n" + #"{"round":2,"accuracy":0.979,"loss":0.12}"# + "\n")
            .write(to: directory.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let html = try String(contentsOf: try RunReport(directory: directory).write(), encoding: .utf8)
        let chart = try #require(Self.chart("accuracy", in: html))
        #expect(Self.count("data-axis-break", in: chart) == 1)
        let labels = chart.matches(of: /<text[^>]*text-anchor="end">([0-9.]+)<\/text>/).compactMap { Double($0.1) }
        #expect(!labels.isEmpty && labels.allSatisfy { (94...99).contains($0) }, "y labels \(labels)")
        let rounds = chart.matches(of: /<text[^>]*text-anchor="middle">([0-9]+)<\/text>/).map { String($0.1) }
        #expect(rounds == ["1", "2"], "x labels \(rounds)")
    }

    /// A private run's report says what ε does not cover, and under privacy.private_metrics
    /// leaves out what is per worker or per client.
    @Test func aPrivateRunsReportSaysWhatEpsilonCovers() throws {
        for withholding in [false, true] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-private-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let fields = #"["sampled","received","late","contributors","trainLoss","federated","privacy.clipped"]"#
            let row = #"{"round":1,"accuracy":0.5,"loss":1,"privacy":{"epsilon":1.5,"delta":1e-05,"clip":1,"noise":1},"#
                + (withholding ? #""withheld":"# : #""outsideEpsilon":"#) + fields + "}\n"
            try row.write(to: directory.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
            try #"{"clients":[{"index":0,"samples":10,"heldOut":0,"labels":[5,5]}]}"#
                .write(to: directory.appendingPathComponent("clients.json"), atomically: true, encoding: .utf8)
            let html = try String(contentsOf: try RunReport(directory: directory).write(), encoding: .utf8)
            #expect(html.contains(withholding ? "keeps only what ε covers" : "Not covered by ε"))
            #expect(html.contains("Labels per client") != withholding, "per-client labels \(withholding ? "shown" : "missing")")
        }
    }

    /// Without traces or metrics (a run killed at once), the report still renders and says
    /// what is missing.
    @Test func aRunWithNothingRecordedStillGetsAReport() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-report-empty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try RunReport(directory: directory).write()
        let html = try String(contentsOf: url, encoding: .utf8)
        #expect(html.contains("Nothing recorded for this run") && html.hasPrefix("<!DOCTYPE html>"))
    }
}

/// Whether python3 runs here.
let pythonAvailable: Bool = {
    guard let check = try? ProcessHarness(program: "python3", ["-c", "pass"]) else { return false }
    return check.waitForExit(timeout: 20) == 0
}()
