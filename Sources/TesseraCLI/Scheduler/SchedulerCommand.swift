import ArgumentParser
import Foundation
import TesseraScheduler
import TesseraTopology
import TesseraTrace

/// `tessera scheduler`: federated training (synchronous rounds, FedAsync or FedBuff) over
/// workers that connect to it.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run federated training (sync rounds, FedAsync or FedBuff) over workers that connect (tessera worker --connect).",
        usage: "tessera scheduler --workers N [--FLAG VALUE ...] [--set KEY=VALUE ...] [--run-dir DIR] [--json]",
        discussion: """
        Prints 'scheduler listening on ENDPOINT' when ready, then one line per round (asynchronous \
        modes: per evaluated server step). Writes \
        metrics.jsonl, metrics.csv, checkpoint.safetensors, traces, status.json and report.html to \
        --run-dir (default: a new runs/scheduler/<time>, listed by tessera runs).

        Every run setting is a flag named after its topology key (training.batch_size: \
        --batch-size), or --set KEY=VALUE with the key itself; both are checked as in a topology \
        file (docs/TOPOLOGY.md):

        \(CommandLineSettings.help(RunSettings.table, defaults: RunSettings()))
        """)

    @Option(help: "Run directory (metrics, checkpoint, traces, status, report); its name is the run's id. Default: a new runs/scheduler/<time>.")
    var runDir: String?

    @Flag(help: "One JSON object per round instead of text.")
    var json = false

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Run settings: --FLAG VALUE or --set KEY=VALUE (listed below).", valueName: "settings"))
    var settings: [String] = []

    func run() throws {
        var run = RunSettings()
        try CommandLineSettings.apply(settings, table: RunSettings.table, to: &run)
        var topology = Topology()
        (topology.name, topology.run) = ("scheduler", run)
        let record = try runDir.map { try RunDirectory.prepare(URL(fileURLWithPath: $0), for: topology) } ?? RunDirectory.create(for: topology)
        let directory = record.url
        let scheduler = try FederatedScheduler(settings: run, runDirectory: directory,
                                          tracer: try TraceWriter(directory: directory.appendingPathComponent("traces"), process: "scheduler"))
        let plan = try DataPlan(settings: run)
        scheduler.plan = plan
        if !json { print("data: \(plan.sourceName): " + plan.dataSummary) }
        if !json, let natural = plan.naturalClients { print("natural clients: " + natural) }
        StopSignal.install()
        scheduler.shouldStop = { StopSignal.isRaised }
        FileHandle.standardOutput.write(Data("scheduler listening on \(scheduler.address)\n".utf8))
        let started = Date()
        if !json { scheduler.onRegistration = { print($0.line) } }
        scheduler.onRound = { result in
            if json {
                printJSONLine(result.jsonFields())
            } else {
                print(result.line())
            }
        }
        // The report is written at the end of every run, one that failed too.
        defer {
            do {
                let url = try RunReport(directory: directory).write()
                if !json { print("report: \(url.path)") }
            } catch {
                FileHandle.standardError.write(Data("warning: could not write the run's report: \(error)\n".utf8))
            }
        }
        let results = try record.recording { try scheduler.run() }
        if !json, let last = results.last {
            print(String(format: "final accuracy %.2f%% after %d %@, %.1f s in all; run in %@", (results.lastAccuracy ?? .nan) * 100,
                         last.round, (run.mode == .sync ? "rounds" : "server steps") as NSString, Date().timeIntervalSince(started), directory.path))
        }
    }
}
