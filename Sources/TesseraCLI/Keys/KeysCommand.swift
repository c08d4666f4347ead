import ArgumentParser
import Foundation
import TesseraTransport

/// `tessera keys`: CurveZMQ key pairs for secured runs.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make CurveZMQ key pairs for secured runs.",
        subcommands: [GenerateKeysCommand.self])
}

/// `tessera keys generate NAME...`: one key pair per name.
struct GenerateKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write NAME.key (secret, mode 0600), NAME.pub and NAME.sign for each name.",
        discussion: """
        Name the scheduler's pair 'scheduler' and each worker's pair after its worker id. The \
        scheduler admits every NAME.pub in its key directory under that name; a worker needs its \
        own NAME.key and scheduler.pub, and, for secure aggregation, every worker's NAME.sign (the \
        public key its round keys are signed with). Copy only a host's own .key to it.
        """)

    @Argument(help: "Names of the pairs (worker ids, or 'scheduler').")
    var names: [String]

    @Option(help: "Directory of the key files.")
    var dir = "keys"

    func run() throws {
        let keys = KeyDirectory(URL(fileURLWithPath: dir))
        for name in names {
            let pair = try keys.generate(name)
            print("\(name): \(dir)/\(name).key (secret), \(dir)/\(name).pub \(pair.publicKey)")
        }
    }
}
