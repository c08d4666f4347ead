import ArgumentParser

/// The one Tessera executable.
@main
struct Tessera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Federated learning that runs as real processes.",
        subcommands: [TrainCommand.self, BenchCommand.self]
    )
}
