import ArgumentParser
import Foundation
import TesseraTensor
import TesseraTransport

/// The one Tessera executable.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Federated learning that runs as real processes.",
        subcommands: [LaunchCommand.self, CheckCommand.self, TopologiesCommand.self, SchedulerCommand.self, WorkerCommand.self, ExampleCommand.self, TrainCommand.self, BenchCommand.self]
    )

    /// Runs the command; errors print a sentence and exit 1, usage errors exit 2 (the
    /// project's convention, where ArgumentParser alone would use 64). Either way, messages
    /// still queued (a last bye) get a moment to go out before the process exits.
    static func main() async {
        if let problem = KernelBuild.unsupportedCPUMessage {
            FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
            Foundation.exit(1)
        }
        AllocatorTuning.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Transport.finish()
        } catch {
            Transport.finish()
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : 1)
        }
    }
}
