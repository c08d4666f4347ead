import ArgumentParser
import Foundation
import TesseraScheduler
import TesseraTopology
import TesseraTrace

/// `tessera launch FILE`: runs a topology — scheduler here, workers as processes — and stops
/// everything it started on exit or Ctrl-C.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch", abstract: "Run a topology file (scheduler and workers) to the end.",
        usage: "tessera launch FILE|NAME [--FLAG VALUE ...] [--set KEY=VALUE ...] [--json] [--quiet]\n       tessera launch --resume RUN [--FLAG VALUE ...]",
        discussion: """
        FILE is a topology file or the name of one in Topologies/ (smoke: Topologies/smoke.yaml). \
        Any key can be overridden after it: --set training.rounds=5, or its flag, --rounds 5 \
        (every key and flag: tessera check --help, docs/TOPOLOGY.md). Each launch gets a new run \
        directory, runs/NAME/YYYYMMDD-HHMMSS (runs/latest points at it), with the resolved \
        settings, metrics, checkpoint, traces and every process's log; --resume RUN continues one \
        from its last checkpoint.
        """)


    @Option(help: ArgumentHelp("Continue a run from its last checkpoint: its directory, latest, or a topology name (its newest run).",
                               valueName: "run"))
    var resume: String?

    @Flag(help: "One JSON object per round instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Write the run's batch script (to the run directory, and print it) instead of submitting it: slurm.",
                               valueName: "scheduler"))
    var emit: String?

    @Flag(help: "No progress bar during rounds.")
    var quiet = false

    // The topology and the overrides after it, in one list: a positional argument of its own
    // would take the value of an override (`--rounds 3`) for the file when --resume is given.
    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("A topology file or a name in Topologies/ (e.g. smoke), unless --resume; then overrides: --FLAG VALUE or --set KEY=VALUE.",
                                 valueName: "topology-and-overrides"))
    var arguments: [String] = []

    /// The topology file named, unless resuming.
    var file: String? { resume == nil ? arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 } : nil }

    /// The settings given after the topology.
    var overrides: [String] { file == nil ? arguments : Array(arguments.dropFirst()) }

    func validate() throws {
        if let emit, emit != "slurm" { throw ValidationError("--emit takes slurm (the only batch system there is a script for), not '\(emit)'") }
        guard (file == nil) != (resume == nil), resume == nil || arguments.first.map({ $0.hasPrefix("-") }) ?? true else {
            throw ValidationError("give a topology to launch, or --resume RUN to continue a run (not both)")
        }
    }

    func run() throws {
        let started = Date()
        var bar: ProgressBar?
        let resumed = try resume.map { try RunDirectory.resolve($0) }
        let topology = try resumed?.topology(overrides: overrides)
            ?? TopologyParser.load(try TopologyParser.locate(file ?? ""), overrides: overrides)
        StopSignal.install()
        let launcher = try Launcher(topology: topology, resuming: resumed)
        let log = RunLog(launcher.runDirectory.appendingPathComponent("logs/launch.log"))
        let run = topology.run
        if emit != nil {
            let script = try launcher.writeSlurmScript()
            print(try String(contentsOf: script, encoding: .utf8), terminator: "")
            FileHandle.standardError.write(Data("written to \(script.path); submit it with: sbatch \(script.path)\n".utf8))
            return
        }
        log.say("\(topology.name): \(run.summary)", quietly: json)
        // The report is written at the end of every run, one that failed too.
        func writeReport() {
            do {
                let url = try RunReport(directory: launcher.runDirectory).write()
                log.say("report: \(url.path)", quietly: json)
            } catch {
                log.say("warning: could not write the run's report: \((error as NSError).localizedDescription)", quietly: json)
            }
        }
        if topology.launch == .slurm {
            do {
                try launcher.runOnSlurm(onLine: { log.say($0, quietly: json) }, shouldStop: { StopSignal.isRaised })
            } catch let failure as SlurmJobFailure {
                // The launch exits as the job did.
                writeReport()
                FileHandle.standardError.write(Data("Error: \(failure)\n".utf8))
                throw ExitCode(failure.status)
            } catch {
                writeReport()
                throw error
            }
            log.say(String(format: "done: total wall time %.1f s", Date().timeIntervalSince(started)), quietly: json)
            return writeReport()
        }
        let results: [RoundResult]
        do {
            results = try launcher.run(onRound: { result in
                bar?.finish()
                bar = nil
                let since = Date().timeIntervalSince(started)
                if json { printJSONLine(result.jsonFields(sinceStart: since)) }
                log.say(result.line(sinceStart: since), quietly: json)
            }, onReady: { address in
                log.say("scheduler listening on \(address); run directory \(launcher.runDirectory.path)", quietly: json)
            }, onProgress: { round, received, sampled in
                if bar == nil { bar = ProgressBar(total: sampled, label: "round \(round)", unit: "updates", enabled: !quiet && !json) }
                bar?.advance(by: 1, detail: "")
            }, onEvent: { event in
                bar?.finish()
                bar = nil
                if json { printJSONLine(["event": event]) }
                log.say(event, quietly: json)
            }, shouldStop: { StopSignal.isRaised })
        } catch {
            writeReport()
            throw error
        }
        let total = Date().timeIntervalSince(started)
        if json {
            printJSONLine(["topology": topology.name, "final_accuracy": results.lastAccuracy ?? .nan, "wall_seconds": total])
        }
        log.say(String(format: "done: final accuracy %.2f%%, total wall time %.1f s", (results.lastAccuracy ?? .nan) * 100, total),
                quietly: json)
        writeReport()
    }
}

/// `tessera topologies DIR`: the topology files there, one line each; exits 1 when one is invalid.
struct TopologiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topologies", abstract: "List topology files with their descriptions (exit 1 if one is invalid).")

    @Argument(help: "Directory of topology files.")
    var directory = "Topologies"

    func run() throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw CommandFailure(description: "no directory '\(directory)' here (\(FileManager.default.currentDirectoryPath)): run this in a Tessera checkout, or name a directory of topology files (tessera topologies DIR)")
        }
        let files = entries.filter { $0.hasSuffix(".yaml") }.sorted()
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
