import ArgumentParser
import Foundation
import TesseraSecureAggregation
import TesseraTensor

/// `tessera bench secagg`: what secure aggregation costs one round, in memory: a client's
/// masking, the server's unmasking (with and without dropped clients), and the bytes each
/// step adds to a plain round's update.
struct SecureAggregationBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secagg",
        abstract: "Secure aggregation's cost per round in memory: masking, unmasking, bytes (medians).")

    @Option(help: "Clients in the round.")
    var clients = 10

    @Option(help: "Values per input (default: mnist-cnn's 1,663,370 parameters).")
    var length = 1_663_370

    @Option(help: "Clients that drop after sharing keys, for the second unmasking figure.")
    var dropped = 3

    @Option(help: "Timed repetitions; the median is reported.")
    var reps = 3

    func validate() throws {
        guard clients >= 2, length >= 1, reps >= 1, dropped >= 0, dropped < clients / 2 else {
            throw ValidationError("need at least 2 clients, a positive length and reps, and fewer than half the clients dropped")
        }
    }

    func run() throws {
        let threshold = clients / 2 + 1
        var random = SystemRandomNumberGenerator()
        let input = (0..<length).map { _ in Float.random(in: -1...1, using: &random) }
        var encoded: [UInt64] = []
        let encode = try median { encoded = try FixedPoint().encode(input, times: 100) }
        // One round's key and share steps, then the masked inputs.
        var members = (0..<clients).map { SecureAggregationClient(id: "c\($0)", round: 1, threshold: threshold) }
        var server = SecureAggregationServer(round: 1, threshold: threshold, length: length)
        for member in members { try server.collect(member.advertise()) }
        let roster = try server.roster()
        var shareBytes = 0
        for index in members.indices {
            let shares = try members[index].shareKeys(roster: roster)
            shareBytes += try JSONEncoder().encode(shares).count
            try server.collect(shares: shares, from: members[index].id)
        }
        for index in members.indices { try members[index].receive(server.shares(for: members[index].id)) }
        var masked: [UInt64] = []
        let mask = try median { masked = try members[0].mask(encoded) }
        func unmaskedSum(dropping: Int) throws -> Double {
            var round = server
            for index in members.indices.dropFirst(dropping) { try round.collect(masked: index == dropping ? masked : try members[index].mask(encoded), from: members[index].id) }
            let survivors = try round.survivors()
            for index in members.indices.dropFirst(dropping) { try round.collect(try members[index].unmask(survivors: survivors)) }
            return try median { _ = try round.sum() }
        }
        let plainSum = try unmaskedSum(dropping: 0)
        let droppedSum = try unmaskedSum(dropping: dropped)
        let keyBytes = try JSONEncoder().encode(roster).count
        print("clients \(clients), threshold \(threshold), \(length) values")
        print(String(format: "fixed-point encoding:                 %8.3f s", encode))
        print(String(format: "one client's masking (%d masks):       %8.3f s", clients, mask))
        print(String(format: "server's unmasking, nobody dropped:   %8.3f s", plainSum))
        print(String(format: "server's unmasking, %d dropped:        %8.3f s", dropped, droppedSum))
        print("bytes per client: update \(4 * length) plain, \(8 * length) masked; keys roster \(keyBytes), shares \(shareBytes / clients)")
    }

    private func median(_ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<reps {
            let start = Date()
            try body()
            times.append(Date().timeIntervalSince(start))
        }
        return times.sorted()[times.count / 2]
    }
}
