import ArgumentParser
import Foundation
import TesseraScheduler
import TesseraTopology
import TesseraTrace

/// `tessera compare A B ...`: runs topologies one after another and prints, side by side, how
/// long each took to reach a target accuracy (by default the first one's final accuracy).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Run topologies in turn and compare their time to a target accuracy.",
        discussion: """
        Each topology runs to its end as with tessera launch (its round lines prefixed by its \
        name); then a table gives each one's mode, final accuracy, wall time, and the time from \
        its launch to the first evaluation at or above the target. The target is --target, or \
        else the first topology's final accuracy. --set KEY=VALUE applies to every topology \
        compared. make compare runs the heterogeneous pair \
        (Topologies/mnist-hetero-sync.yaml and mnist-hetero-fedbuff.yaml).
        """)

    @Argument(help: "Topology files or names in Topologies/.")
    var topologies: [String]

    @Option(help: "Target accuracy, in [0, 1] (default: the first topology's final accuracy).")
    var target: Double?

    @Option(name: .customLong("set"), help: ArgumentHelp("A setting for every topology compared, as tessera launch takes it (repeatable): --set training.rounds=5.",
                                                         valueName: "key=value"))
    var settings: [String] = []

    func validate() throws {
        guard topologies.count >= 2 else { throw ValidationError("give at least two topologies to compare") }
        if let target, !(0...1).contains(target) { throw ValidationError("--target must be in [0, 1], not \(target)") }
    }

    /// One topology's run: its evaluations with the seconds since its launch.
    struct Outcome {
        let name: String
        let mode: RunSettings.Mode
        let evaluations: [(seconds: Double, accuracy: Double)]
        let wall: Double
        let directory: URL
    }

    func run() throws {
        // Every file is read and checked before anything runs.
        let overrides = settings.flatMap { ["--set", $0] }
        let loaded = try topologies.map { try TopologyParser.load(try TopologyParser.locate($0), overrides: overrides) }
        StopSignal.install()
        var outcomes: [Outcome] = []
        for topology in loaded {
            print("\(topology.name): \(topology.run.summary)")
            let started = Date()
            var evaluations: [(Double, Double)] = []
            let launcher = try Launcher(topology: topology)
            let results = try launcher.run(onRound: { result in
                let since = Date().timeIntervalSince(started)
                if let accuracy = result.accuracy { evaluations.append((since, accuracy)) }
                print("  \(topology.name) \(result.line(sinceStart: since))")
            }, onReady: { _ in }, onProgress: { _, _, _ in }, onEvent: { print("  \(topology.name): \($0)") },
               shouldStop: { StopSignal.isRaised })
            _ = results
            outcomes.append(Outcome(name: topology.name, mode: topology.run.mode, evaluations: evaluations,
                                    wall: Date().timeIntervalSince(started), directory: launcher.runDirectory))
            try? RunReport(directory: launcher.runDirectory).write()
        }
        let goal = target ?? outcomes[0].evaluations.last?.accuracy ?? 1
        let table = Self.table(outcomes, target: goal)
        print(table)
        // Beside the runs: <runs>/compare/<time>.html, accuracy over time for all of them.
        let comparison = ComparisonReport(runs: outcomes.map { ComparisonReport.Run(name: $0.name, evaluations: $0.evaluations, directory: $0.directory) },
                                          target: goal, table: table)
        let folder = URL(fileURLWithPath: loaded[0].runsDirectory).appendingPathComponent("compare")
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate, .withTime])
        let file = folder.appendingPathComponent(stamp.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "T", with: "-") + ".html")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(comparison.html().utf8).write(to: file)
            print("comparison: \(file.path)")
        } catch {
            print("warning: could not write the comparison: \((error as NSError).localizedDescription)")
        }
    }

    /// The side-by-side table.
    static func table(_ outcomes: [Outcome], target: Double) -> String {
        let width = max(8, outcomes.map(\.name.count).max() ?? 0)
        let pad = { (text: String, count: Int) in text.padding(toLength: max(count, text.count), withPad: " ", startingAt: 0) }
        var lines = [pad("topology", width) + "  mode      final    wall s   " + String(format: "to %.2f%%", target * 100)]
        let reference = outcomes.first.flatMap { Self.timeToTarget($0, target) }
        for outcome in outcomes {
            let reached = Self.timeToTarget(outcome, target)
            let ratio = reached.flatMap { time in reference.map { String(format: " (%.2fx)", time / $0) } } ?? ""
            lines.append(pad(outcome.name, width) + "  " + pad(outcome.mode.rawValue, 8)
                         + String(format: "  %6.2f%%  %7.1f   ", (outcome.evaluations.last?.accuracy ?? .nan) * 100, outcome.wall)
                         + (reached.map { String(format: "%.1f s", $0) + ratio } ?? "not reached"))
        }
        return lines.joined(separator: "\n")
    }

    /// Seconds from launch to the first evaluation at or above `target`.
    static func timeToTarget(_ outcome: Outcome, _ target: Double) -> Double? {
        outcome.evaluations.first { $0.accuracy >= target }?.seconds
    }
}
