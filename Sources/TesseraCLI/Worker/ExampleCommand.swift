import ArgumentParser
import Foundation
import TesseraExamples
import TesseraWorker

/// `tessera example`: the PySyft-tutorial counterparts against running workers.
struct ExampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Run a tutorial (part1, part2, part3, part4, part8, part10, part12) against running workers.",
        discussion: "Start workers first, e.g. 'tessera worker --bind tcp://127.0.0.1:5556 --id bob'. Parts 2 and 3 need two workers; parts 4, 10 and 12 three (the third is the aggregator or the crypto provider).")

    @Argument(help: "part1, part2, part3, part4, part8, part10 or part12.")
    var part: String

    @Option(help: "Comma-separated worker endpoints, in the order bob, alice, and the aggregator or crypto provider.")
    var workers: String

    func run() async throws {
        let endpoints = workers.split(separator: ",").map(String.init)
        let names = ["bob", "alice", "aggregator"]
        let needed = ["part1": 1, "part2": 2, "part3": 2, "part4": 3, "part8": 1, "part10": 3, "part12": 3]
        guard let count = needed[part] else {
            throw ValidationError("unknown part '\(part)'; one of part1, part2, part3, part4, part8, part10, part12")
        }
        guard endpoints.count >= count else { throw ValidationError("\(part) needs \(count) worker endpoints") }
        let remote = try zip(names, endpoints).map { try RemoteWorker(name: $0, endpoint: $1, timeout: 30) }
        // A worker that is not there is named before the tutorial starts, not after a request's timeout.
        for worker in remote.prefix(count) { try await worker.reach(within: 5) }
        let say: Tutorial.Narrator = { print($0) }
        switch part {
        case "part1": print(try await Tutorial.part1(bob: remote[0], say: say))
        case "part2": print("weights [w0, w1, b]:", try await Tutorial.part2(bob: remote[0], alice: remote[1], say: say))
        case "part3": print(try await Tutorial.part3(bob: remote[0], alice: remote[1], say: say))
        case "part4":
            print("average \(try await Tutorial.part4(bob: remote[0], alice: remote[1], aggregator: remote[2], say: say).scalars)")
        case "part10":
            print("average \(try await Tutorial.part10(bob: remote[0], alice: remote[1], cryptoProvider: remote[2], say: say).scalars)")
        case "part12":
            let (encrypted, plain) = try await Tutorial.part12(alice: remote[1], bob: remote[0], cryptoProvider: remote[2], say: say)
            print("classes on the shares \(encrypted)\nclasses in the clear  \(plain)")
        default: print(try await Tutorial.part8(bob: remote[0], say: say))
        }
    }
}
