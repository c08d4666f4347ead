import ArgumentParser
import Foundation
import TesseraScheduler
import TesseraTopology
import TesseraWorker

/// `tessera launch FILE`: runs a topology — scheduler here, workers as processes — and stops
/// everything it started on exit or Ctrl-C.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch", abstract: "Run a topology file (scheduler and workers) to the end.")

    @Argument(help: "A topology file, e.g. Topologies/mnist-iid-10.yaml.")
    var file: String

    @Flag(help: "One JSON object per round instead of text.")
    var json = false

    @Flag(help: "No progress bar during rounds.")
    var quiet = false

    func run() throws {
        let started = Date()
        var bar: ProgressBar?
        let topology = try TopologyParser.load(URL(fileURLWithPath: file))
        StopSignal.install()
        let launcher = Launcher(topology: topology)
        if !json {
            print("\(topology.name): \(topology.workers) workers, \(topology.model.name), \(topology.partition.rawValue), \(topology.rounds) rounds (C=\(topology.fraction), E=\(topology.hyperparameters.epochs), B=\(topology.hyperparameters.batchSize))")
        }
        let results = try launcher.run(onRound: { result in
            bar?.finish()
            bar = nil
            if json {
                printJSONLine(["round": result.round, "accuracy": result.accuracy, "loss": result.loss, "seconds": result.seconds,
                               "since_start": Date().timeIntervalSince(started), "received": result.received,
                               "sampled": result.sampled, "late": result.late,
                               "federated_accuracy": result.federated?.accuracy ?? Double.nan])
            } else {
                print(String(format: "round %d: accuracy %.2f%%, loss %.4f, %.1f s (%.1f s since start), workers %d/%d%@%@",
                             result.round, result.accuracy * 100, result.loss, result.seconds, Date().timeIntervalSince(started),
                             result.received, result.sampled, result.late > 0 ? " (\(result.late) late)" as NSString : "" as NSString,
                             result.federated.map { "; \($0.summary)" as NSString } ?? "" as NSString))
            }
        }, onReady: { address in
            if !json { print("scheduler listening on \(address); run directory \(launcher.runDirectory.path)") }
        }, onProgress: { round, received, sampled in
            if bar == nil { bar = ProgressBar(total: sampled, label: "round \(round)", unit: "updates", enabled: !quiet && !json) }
            bar?.advance(by: 1, detail: "")
        }, shouldStop: { StopSignal.isRaised })
        let total = Date().timeIntervalSince(started)
        if json {
            printJSONLine(["topology": topology.name, "final_accuracy": results.last?.accuracy ?? .nan, "wall_seconds": total])
        } else {
            print(String(format: "done: final accuracy %.2f%%, total wall time %.1f s", (results.last?.accuracy ?? .nan) * 100, total))
        }
    }
}

/// `tessera topologies DIR`: the topology files there, one line each.
struct TopologiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topologies", abstract: "List topology files with their descriptions.")

    @Argument(help: "Directory of topology files.")
    var directory = "Topologies"

    func run() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            let label = path.padding(toLength: max(36, path.count + 2), withPad: " ", startingAt: 0)
            do {
                print(label + (try TopologyParser.load(URL(fileURLWithPath: path))).description)
            } catch {
                print(label + "INVALID: \(error)")
            }
        }
    }
}
