import ArgumentParser
import Foundation
import TesseraScheduler
import TesseraTopology

/// `tessera launch FILE`: runs a topology — scheduler here, workers as processes — and stops
/// everything it started on exit or Ctrl-C.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch", abstract: "Run a topology file (scheduler and workers) to the end.",
        usage: "tessera launch FILE|NAME [--FLAG VALUE ...] [--set KEY=VALUE ...] [--json] [--quiet]",
        discussion: """
        FILE is a topology file or the name of one in Topologies/ (smoke: Topologies/smoke.yaml). \
        Any key can be overridden after it: --set training.rounds=5, or its flag, --rounds 5 \
        (every key and flag: tessera check --help, docs/TOPOLOGY.md).
        """)

    @Argument(help: "A topology file, or a name in Topologies/ (e.g. smoke).")
    var file: String

    @Flag(help: "One JSON object per round instead of text.")
    var json = false

    @Flag(help: "No progress bar during rounds.")
    var quiet = false

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Overrides: --FLAG VALUE or --set KEY=VALUE.", valueName: "overrides"))
    var overrides: [String] = []

    func run() throws {
        let started = Date()
        var bar: ProgressBar?
        let topology = try TopologyParser.load(try TopologyParser.locate(file), overrides: overrides)
        StopSignal.install()
        let launcher = Launcher(topology: topology)
        let run = topology.run
        if !json {
            print("\(topology.name): \(run.summary)")
        }
        let results = try launcher.run(onRound: { result in
            bar?.finish()
            bar = nil
            if json {
                printJSONLine(result.jsonFields(sinceStart: Date().timeIntervalSince(started)))
            } else {
                print(result.line(sinceStart: Date().timeIntervalSince(started)))
            }
        }, onReady: { address in
            if !json { print("scheduler listening on \(address); run directory \(launcher.runDirectory.path)") }
        }, onProgress: { round, received, sampled in
            if bar == nil { bar = ProgressBar(total: sampled, label: "round \(round)", unit: "updates", enabled: !quiet && !json) }
            bar?.advance(by: 1, detail: "")
        }, onEvent: { event in
            bar?.finish()
            bar = nil
            if json { printJSONLine(["event": event]) } else { print(event) }
        }, shouldStop: { StopSignal.isRaised })
        let total = Date().timeIntervalSince(started)
        if json {
            printJSONLine(["topology": topology.name, "final_accuracy": results.last?.accuracy ?? .nan, "wall_seconds": total])
        } else {
            print(String(format: "done: final accuracy %.2f%%, total wall time %.1f s", (results.last?.accuracy ?? .nan) * 100, total))
        }
    }
}

/// `tessera topologies DIR`: the topology files there, one line each; exits 1 when one is invalid.
struct TopologiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topologies", abstract: "List topology files with their descriptions (exit 1 if one is invalid).")

    @Argument(help: "Directory of topology files.")
    var directory = "Topologies"

    func run() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        var invalid = 0
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            let label = path.padding(toLength: max(36, path.count + 2), withPad: " ", startingAt: 0)
            do {
                print(label + (try TopologyParser.load(URL(fileURLWithPath: path))).description)
            } catch {
                print(label + "INVALID: \(error)")
                invalid += 1
            }
        }
        if invalid > 0 { throw ExitCode.failure }
    }
}
