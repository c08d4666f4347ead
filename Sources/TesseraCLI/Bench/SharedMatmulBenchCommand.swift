import ArgumentParser
import Foundation
import TesseraTensor
import TesseraWorker

/// `tessera bench shares`: a secret-shared matrix product among two running workers (with a
/// third as crypto provider) against the plain remote matrix product of the same matrices on
/// one of them, alternated, medians of each.
struct SharedMatmulBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shares",
        abstract: "A shared N×N matmul on two workers (triple from a third) against the plain remote matmul (medians).",
        discussion: "Start three workers first, e.g. 'tessera worker --bind tcp://127.0.0.1:0 --id alice' (each prints its endpoint).")

    @Option(help: "Comma-separated endpoints of the two parties and the crypto provider.")
    var workers: String

    @Option(help: "The matrices' side.")
    var size = 256

    @Option(help: "Timed repetitions of each; medians are reported.")
    var reps = 5

    func validate() throws {
        guard workers.split(separator: ",").count == 3 else { throw ValidationError("--workers takes three endpoints: two parties and the crypto provider") }
        guard size >= 1, reps >= 1 else { throw ValidationError("--size and --reps must be positive") }
    }

    func run() async throws {
        let endpoints = workers.split(separator: ",").map(String.init)
        let names = ["alice", "bob", "provider"]
        let remote = try zip(names, endpoints).map { try RemoteWorker(name: $0, endpoint: $1, timeout: 120) }
        let (a, b) = (try Tensor.normal([size, size], seed: 1), try Tensor.normal([size, size], seed: 2))
        let (plainA, plainB) = (try await a.send(to: remote[0]), try await b.send(to: remote[0]))
        let parties = Array(remote.prefix(2))
        let (sharedA, sharedB) = (try await a.share(among: parties, cryptoProvider: remote[2]),
                                  try await b.share(among: parties, cryptoProvider: remote[2]))
        var plain: [Double] = [], shared: [Double] = [], error: Float = 0
        let expected = try a.matmul(b)
        for _ in 0..<reps {
            var start = Date()
            _ = try await plainA.matmul(plainB).get()
            plain.append(Date().timeIntervalSince(start))
            start = Date()
            let product = try await sharedA.matmul(sharedB).reconstruct()
            shared.append(Date().timeIntervalSince(start))
            error = max(error, zip(product.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0)
        }
        func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }
        print("\(size)x\(size) by \(size)x\(size), \(reps) alternated repetitions, each to the result on this client")
        print(String(format: "plain remote matmul (one worker):          %8.4f s", median(plain)))
        print(String(format: "shared matmul (2 parties, Beaver triple):  %8.4f s  (%.1fx)", median(shared), median(shared) / median(plain)))
        print(String(format: "largest error of the shared product:        %.2e", error))
    }
}
