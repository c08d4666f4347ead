import ArgumentParser
import Foundation
import TesseraData
import TesseraNN
import TesseraScheduler
import TesseraTopology

/// `tessera check FILE`: reads and checks a topology without running it, and prints every
/// setting as the run would use it.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check a topology file and print the configuration it resolves to (exit 1 on errors).",
        usage: "tessera check FILE|NAME [--FLAG VALUE ...] [--set KEY=VALUE ...]",
        discussion: """
        Every key of a topology file, with its flag for --FLAG VALUE overrides (on check, \
        launch and, for run settings, scheduler):

        \(CommandLineSettings.help(Topology.table, defaults: Topology()))
        """)

    @Argument(help: "A topology file, or a name in Topologies/.")
    var file: String

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Overrides: --FLAG VALUE or --set KEY=VALUE.", valueName: "overrides"))
    var overrides: [String] = []

    func run() throws {
        let url = try TopologyParser.locate(file)
        let topology = try TopologyParser.load(url, overrides: overrides)
        print("\(url.path): valid")
        let width = Topology.table.settings.map(\.key.count).max() ?? 0
        for setting in Topology.table.settings {
            print("  " + setting.key.padding(toLength: width + 2, withPad: " ", startingAt: 0) + setting.value(in: topology))
        }
        print("  data found: " + Self.dataSource(topology.run.data))
        // The data as the run will read and split it, so that a bad file or a split that cannot
        // be made is found here.
        do {
            let plan = try DataPlan(settings: topology.run)
            print("  data: " + plan.dataSummary)
            if let natural = plan.naturalClients { print("  natural clients: " + natural) }
            print("  data split: " + plan.summary)
        } catch let error as DataError where error.kind == .impossibleSplit {
            throw CommandFailure(description: "\(url.path): data.partition: the data cannot be split so: \(error)")
        } catch let error as DataError {
            throw CommandFailure(description: "\(url.path): data.source: \(error)")
        } catch {
            throw CommandFailure(description: "\(url.path): \(error)")
        }
        for line in try ModelCommand.lines(topology.run.model) { print("  " + line) }
        let parameters = try Model(spec: topology.run.model, seed: 0).parameters.scalarCount
        if let warning = topology.run.privacyNoiseWarning(parameters: parameters) { print("  warning: " + warning) }
    }

    /// Which data the run will use, as this machine sees it (workers on other hosts may differ).
    static func dataSource(_ data: String) -> String {
        do {
            switch try DataSource.locate(explicit: data == "auto" ? nil : data) {
            case let .mnist(directory): return "MNIST in \(directory.path)"
            case let source: return source.name(foundBySearch: data == "auto")
            }
        } catch {
            return "none: \(error)"
        }
    }
}
