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

    @Option(help: "SecAgg+: each client's neighbours (0: every other client, Bonawitz et al.'s protocol).")
    var neighbours = 0

    func validate() throws {
        guard clients >= 2, length >= 1, reps >= 1, dropped >= 0, dropped < clients / 2, neighbours >= 0 else {
            throw ValidationError("need at least 2 clients, a positive length and reps, fewer than half the clients dropped, and neighbours ≥ 0")
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
        var server = SecureAggregationServer(round: 1, threshold: threshold, length: length, degree: neighbours)
        for member in members { try server.collect(member.advertise()) }
        _ = try server.roster()  // publishes the roster each member then asks for
        var shareBytes = 0
        var sharing: [Double] = []
        for index in members.indices {
            let start = Date()
            let shares = try members[index].shareKeys(roster: server.roster(for: members[index].id), degree: neighbours)
            sharing.append(Date().timeIntervalSince(start))
            shareBytes += try JSONEncoder().encode(shares).count
            try server.collect(shares: shares, from: members[index].id)
        }
        var receiving: [Double] = []
        for index in members.indices {
            let start = Date()
            members[index].receive(server.shares(for: members[index].id))
            receiving.append(Date().timeIntervalSince(start))
        }
        var masked: [UInt64] = []
        let mask = try median { masked = try members[0].mask(encoded) }
        var unmaskBytes = 0
        func unmaskedSum(dropping: Int) throws -> Double {
            var round = server
            for index in members.indices.dropFirst(dropping) {
                try round.collect(masked: index == dropping ? masked : try members[index].mask(encoded), from: members[index].id,
                                  maskedWith: members[index].maskedWith)
            }
            let survivors = try round.survivors()
            for index in members.indices.dropFirst(dropping) {
                let revealed = try members[index].unmask(survivors: survivors)
                if dropping == 0 { unmaskBytes += try JSONEncoder().encode(revealed).count }
                try round.collect(revealed)
            }
            return try median { _ = try round.sum() }
        }
        let plainSum = try unmaskedSum(dropping: 0)
        let droppedSum = try unmaskedSum(dropping: dropped)
        let keyBytes = try JSONEncoder().encode(server.roster(for: members[0].id)).count
        let masks = members[0].maskedWith.count
        let perClient = { (times: [Double]) in times.sorted()[times.count / 2] }
        print("clients \(clients), threshold \(threshold), \(length) values, " + (neighbours > 0 ? "SecAgg+ with \(masks) neighbours" : "every client with every other"))
        print(String(format: "fixed-point encoding:                 %8.3f s", encode))
        print(String(format: "one client's sharing (median):        %8.4f s", perClient(sharing)))
        print(String(format: "one client's share opening (median):  %8.4f s", perClient(receiving)))
        print(String(format: "one client's masking (%d masks):       %8.3f s", masks + 1, mask))
        print(String(format: "server's unmasking, nobody dropped:   %8.3f s", plainSum))
        print(String(format: "server's unmasking, %d dropped:        %8.3f s", dropped, droppedSum))
        print("bytes per client: update \(4 * length) plain, \(8 * length) masked; keys roster \(keyBytes), shares \(shareBytes / clients), unmasking \(unmaskBytes / clients)")
        print("protocol bytes per client (shares sent, the shares relayed back, unmasking): \(2 * shareBytes / clients + unmaskBytes / clients)")
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
