import ArgumentParser
import Foundation
import TesseraScheduler
import TesseraTrace

/// `tessera scheduler`: synchronous FedAvg over workers that connect to it.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run synchronous FedAvg rounds over workers that connect (tessera worker --connect).",
        usage: "tessera scheduler --workers N [--FLAG VALUE ...] [--set KEY=VALUE ...] [--run-dir DIR] [--json]",
        discussion: """
        Prints 'scheduler listening on ENDPOINT' when ready, then one line per round. Writes \
        metrics.jsonl, metrics.csv, checkpoint.safetensors and traces to --run-dir.

        Every run setting is a flag named after its topology key (training.batch_size: \
        --batch-size), or --set KEY=VALUE with the key itself; both are checked as in a topology \
        file (docs/TOPOLOGY.md):

        \(CommandLineSettings.help(RunSettings.table, defaults: RunSettings()))
        """)

    @Option(help: "Run directory (metrics, checkpoint, traces); its name is the run's id.")
    var runDir = "runs/latest"

    @Flag(help: "One JSON object per round instead of text.")
    var json = false

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Run settings: --FLAG VALUE or --set KEY=VALUE (listed below).", valueName: "settings"))
    var settings: [String] = []

    func run() throws {
        var run = RunSettings()
        try CommandLineSettings.apply(settings, table: RunSettings.table, to: &run)
        let directory = URL(fileURLWithPath: runDir)
        let scheduler = try SyncScheduler(settings: run, runDirectory: directory,
                                          tracer: try TraceWriter(directory: directory.appendingPathComponent("traces"), process: "scheduler"))
        FileHandle.standardOutput.write(Data("scheduler listening on \(scheduler.address)\n".utf8))
        let started = Date()
        scheduler.onRound = { result in
            if json {
                printJSONLine(result.jsonFields())
            } else {
                print(result.line())
            }
        }
        let results = try scheduler.run()
        if !json, let last = results.last {
            print(String(format: "final accuracy %.2f%% after %d rounds, %.1f s in all; run in %@", last.accuracy * 100,
                         results.count, Date().timeIntervalSince(started), directory.path))
        }
    }
}
