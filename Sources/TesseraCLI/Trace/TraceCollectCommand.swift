import ArgumentParser
import Foundation
import TesseraTopology

/// `tessera trace collect RUN --from SOURCE`: brings traces written elsewhere (workers on other
/// hosts, started by hand) into a run's `traces/`.
struct TraceCollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect", abstract: "Bring workers' traces from other hosts (over ssh) or folders into a run's traces.",
        discussion: "SOURCE is [USER@]HOST:DIR (read over ssh in batch mode: ssh keys, no password prompt; the host needs tar) or a local directory; its *.trace.jsonl files replace those of the same name. tessera launch collects the traces of workers it started over ssh by itself.")

    @OptionGroup var source: TraceRunOptions

    @Option(name: .customLong("from"), help: ArgumentHelp("Where the traces are: [USER@]HOST:DIR or a directory (repeatable).", valueName: "source"))
    var sources: [String] = []

    @Option(name: .customLong("ssh-option"), help: ArgumentHelp("An option for ssh, e.g. -oPort=2222 (repeatable).", valueName: "option"))
    var sshOptions: [String] = []

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("say where the traces are: --from HOST:DIR or --from DIR") }
    }

    func run() throws {
        let directory = try source.directory()
        let collector = TraceCollector(runDirectory: directory, sshOptions: sshOptions)
        for from in sources {
            let names = try collector.collect(from: from)
            print("\(from): \(names.joined(separator: ", ")) → \(collector.traces.path)")
        }
    }
}
