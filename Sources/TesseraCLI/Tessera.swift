import ArgumentParser
import Foundation
import TesseraNN
import Logging
import TesseraScheduler
import TesseraTensor
import TesseraTransport

/// The `tessera` command: `tessera` itself, or a program of one's own that registered its own
/// strategies (``/TesseraScheduler/StrategyRegistry``) and then calls ``runAsMain()``.
public struct Tessera: AsyncParsableCommand {
    /// This build's version.
    static let version = RunEnvironment.tesseraVersion

    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Federated learning that runs as real processes.",
        discussion: "Logs go to standard error at TESSERA_LOG_LEVEL (trace, debug, info, notice, warning: the default, error). Shell completion: tessera --generate-completion-script bash|zsh|fish.",
        version: "tessera \(version) (kernel: \(KernelBuild.usesAVX2 ? "AVX2/FMA" : "portable"))",
        subcommands: [LaunchCommand.self, CompareCommand.self, RunsCommand.self, LogsCommand.self, TraceCommand.self, ReportCommand.self, CheckCommand.self, ModelCommand.self, TopologiesCommand.self, SchedulerCommand.self, WorkerCommand.self, KeysCommand.self, ExampleCommand.self, TrainCommand.self, BenchCommand.self]
    )

    /// Runs the command the process's arguments name; errors print a sentence and exit 1, usage errors exit 2 (the
    /// project's convention, where ArgumentParser alone would use 64). Either way, messages
    /// still queued (a last bye) get a moment to go out before the process exits.
    public static func runAsMain() async {
        if let problem = KernelBuild.unsupportedCPUMessage {
            FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
            Foundation.exit(1)
        }
        AllocatorTuning.apply()
        lineBufferStandardOutput()
        installLogging()
        if let problem = unknownSubcommand(in: CommandLine.arguments.dropFirst()) {
            FileHandle.standardError.write(Data("Error: \(problem)\n".utf8))
            Foundation.exit(2)
        }
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
            // Foundation's file errors say only their domain and code on Linux: the path and cause instead.
            let message = (error as NSError).domain == NSCocoaErrorDomain || (error as NSError).domain == NSPOSIXErrorDomain
                ? "Error: " + FileFailure.describe(error) : fullMessage(for: error)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : 1)
        }
    }

    /// Library logs to standard error, at `TESSERA_LOG_LEVEL` (default: warning, so a healthy
    /// run prints only its own output).
    static func installLogging() {
        let level = ProcessInfo.processInfo.environment["TESSERA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// "unknown command 'lanch' (did you mean 'launch'?)" when the first argument is a word
    /// that names no subcommand; nil otherwise.
    static func unknownSubcommand(in arguments: ArraySlice<String>) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        guard !names.contains(first) else { return nil }
        return "unknown command '\(first)'" + NearestName.hint(for: first, in: names) + "; commands: "
            + names.filter { $0 != "help" }.joined(separator: ", ")
    }
}
