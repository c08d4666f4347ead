import Foundation
import Testing
@testable import TesseraSecureAggregation

/// Secure aggregation end to end in memory: the masks cancel exactly, clients that drop after
/// sharing keys or after masking do not stop the sum, a masked input looks uniform, and what a
/// client or the server is sent out of turn is refused.
@Suite("Secure aggregation")
struct SecureAggregationTests {
    /// Runs one round over `inputs` (client i is "c\(i)"): clients in `beforeMasking` drop
    /// after sharing keys, those in `beforeUnmasking` after sending their masked input, and
    /// those in `garbling` send every other client a share that does not open.
    static func round(_ inputs: [[UInt64]], threshold: Int, beforeMasking: Set<Int> = [], beforeUnmasking: Set<Int> = [],
                      garbling: Set<Int> = [], degree: Int = 0) throws -> [UInt64] {
        var clients = inputs.indices.map { SecureAggregationClient(id: "c\($0)", round: 7, threshold: threshold) }
        var server = SecureAggregationServer(round: 7, threshold: threshold, length: inputs[0].count, degree: degree)
        for client in clients { try server.collect(client.advertise()) }
        let roster = try server.roster()
        for index in clients.indices {
            var shares = try clients[index].shareKeys(roster: roster, degree: degree)
            if garbling.contains(index) { for share in shares.indices { shares[share].ciphertext[0] ^= 0xFF } }
            try server.collect(shares: shares, from: clients[index].id)
        }
        for index in clients.indices {
            let left = clients[index].receive(server.shares(for: clients[index].id))
            let garblingNeighbours = garbling.subtracting([index]).map { "c\($0)" }.filter { clients[index].graph?.areNeighbours(clients[index].id, $0) == true }
            #expect(Set(left.map(\.sender)) == Set(garblingNeighbours))
        }
        for index in clients.indices where !beforeMasking.contains(index) {
            try server.collect(masked: try clients[index].mask(inputs[index]), from: clients[index].id, maskedWith: clients[index].maskedWith)
        }
        let survivors = try server.survivors()
        for index in clients.indices where survivors.contains(clients[index].id) && !beforeUnmasking.contains(index) {
            try server.collect(try clients[index].unmask(survivors: survivors))
        }
        return try server.sum()
    }

    static func randomInputs(_ clients: Int, length: Int) -> [[UInt64]] {
        var random = SystemRandomNumberGenerator()
        return (0..<clients).map { _ in (0..<length).map { _ in random.next() } }
    }

    static func wrappingSum(_ vectors: [[UInt64]]) -> [UInt64] {
        vectors.dropFirst().reduce(vectors[0]) { sum, vector in zip(sum, vector).map { $0 &+ $1 } }
    }

    @Test func theMasksCancelExactly() throws {
        let inputs = Self.randomInputs(5, length: 1000)
        #expect(try Self.round(inputs, threshold: 3) == Self.wrappingSum(inputs))
    }

    @Test func threeOfTenDroppingAfterMaskingStillGiveTheSum() throws {
        let inputs = Self.randomInputs(10, length: 500)
        #expect(try Self.round(inputs, threshold: 6, beforeUnmasking: [1, 4, 8]) == Self.wrappingSum(inputs))
    }

    @Test func threeOfTenDroppingAfterSharingKeysLeaveTheOthersSum() throws {
        let inputs = Self.randomInputs(10, length: 500)
        let kept = inputs.indices.filter { ![0, 5, 9].contains($0) }.map { inputs[$0] }
        #expect(try Self.round(inputs, threshold: 6, beforeMasking: [0, 5, 9]) == Self.wrappingSum(kept))
    }

    /// Participants that send shares that do not open are left out by the clients that cannot
    /// open them, and then by the server: the round sums the others' inputs instead of failing
    /// (it ended with nothing).
    @Test func threeOfTenSendingBadSharesAreLeftOutOfTheSum() throws {
        let inputs = Self.randomInputs(10, length: 300)
        let kept = inputs.indices.filter { ![2, 3, 7].contains($0) }.map { inputs[$0] }
        #expect(try Self.round(inputs, threshold: 6, garbling: [2, 3, 7]) == Self.wrappingSum(kept))
        // With drops besides, down to the threshold.
        let fewer = inputs.indices.filter { ![2, 3, 7, 0].contains($0) }.map { inputs[$0] }
        #expect(try Self.round(inputs, threshold: 6, beforeMasking: [0], garbling: [2, 3, 7]) == Self.wrappingSum(fewer))
    }

    /// A client refuses to share its secrets under a threshold that is not a majority of the
    /// roster (t = 2 of 5 would let two colluders rebuild them); a settings check refuses it first.
    @Test func aThresholdThatIsNotAMajorityIsRefused() throws {
        var clients = (0..<5).map { SecureAggregationClient(id: "c\($0)", round: 1, threshold: 2) }
        var server = SecureAggregationServer(round: 1, threshold: 2, length: 4)
        for client in clients { try server.collect(client.advertise()) }
        let roster = try server.roster()
        #expect { try clients[0].shareKeys(roster: roster) } throws: { "\($0)".contains("not a majority") }
    }

    /// SecAgg+ (Bell et al. 2020): each client shares with 8 neighbours of 40 instead of all 39,
    /// and the sum is exact, with clients dropping at both steps and two sending bad shares.
    @Test func secAggPlusSumsExactlyWithNeighboursOnly() throws {
        let inputs = Self.randomInputs(40, length: 64)
        #expect(try Self.round(inputs, threshold: 21, degree: 8) == Self.wrappingSum(inputs))
        // Each client is sent the keys of its neighbourhood only, and every id.
        var server = SecureAggregationServer(round: 7, threshold: 21, length: 4, degree: 8)
        for index in 0..<40 { try server.collect(SecureAggregationClient(id: "c\(index)", round: 7, threshold: 21).advertise()) }
        _ = try server.roster()
        let sent = server.roster(for: "c0")
        #expect(sent.count == 40 && sent.filter { !$0.encryptionKey.isEmpty }.count == 9)
        let graph = SecureAggregationGraph(members: (0..<40).map { "c\($0)" }, degree: 8, round: 7, threshold: 21)
        #expect(graph.neighbours.values.allSatisfy { $0.count == 8 } && graph.threshold == 5)
        #expect(graph.members.allSatisfy { id in graph.neighbours[id]!.allSatisfy { graph.areNeighbours($0, id) } }, "neighbours are mutual")
        let kept = inputs.indices.filter { ![3, 17, 25, 31].contains($0) }.map { inputs[$0] }
        #expect(try Self.round(inputs, threshold: 21, beforeMasking: [3, 17], beforeUnmasking: [8, 30], garbling: [25, 31], degree: 8)
                == Self.wrappingSum(kept))
    }

    @Test func tooManyDroppingIsAClearError() throws {
        let inputs = Self.randomInputs(5, length: 10)
        #expect { try Self.round(inputs, threshold: 4, beforeMasking: [0, 1]) } throws: {
            "\($0)".contains("fewer than the threshold 4")
        }
    }

    /// One client's masked input, of an input of zeros, against the uniform distribution on
    /// bytes: a chi-square with 255 degrees of freedom stays under 350 (p ≈ 10^-4) unless the
    /// mask is biased.
    @Test func aMaskedInputLooksUniform() throws {
        var clients = (0..<3).map { SecureAggregationClient(id: "c\($0)", round: 1, threshold: 2) }
        var server = SecureAggregationServer(round: 1, threshold: 2, length: 50_000)
        for client in clients { try server.collect(client.advertise()) }
        let roster = try server.roster()
        for index in clients.indices { try server.collect(shares: try clients[index].shareKeys(roster: roster), from: clients[index].id) }
        for index in clients.indices { try clients[index].receive(server.shares(for: clients[index].id)) }
        let masked = try clients[0].mask([UInt64](repeating: 0, count: 50_000))
        var counts = [Double](repeating: 0, count: 256)
        for value in masked { for byte in 0..<8 { counts[Int((value >> (8 * UInt64(byte))) & 0xFF)] += 1 } }
        let expected = Double(masked.count * 8) / 256
        let chiSquare = counts.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
        #expect(chiSquare < 350, "chi-square \(chiSquare)")
    }

    @Test func shamirRebuildsFromAnyThresholdOfShares() throws {
        var random = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let shares = try ShamirSharing.split(secret, threshold: 6, parties: 10)
        for _ in 0..<20 { #expect(try ShamirSharing.combine(Array(shares.shuffled().prefix(6))) == secret) }
        #expect(try ShamirSharing.combine(Array(shares.prefix(5))) != secret, "five shares rebuild nothing")
        #expect(throws: SecureAggregationError.self) { try ShamirSharing.combine([shares[0], shares[0]]) }
        #expect(throws: SecureAggregationError.self) { try ShamirSharing.split(secret, threshold: 11, parties: 10) }
        // What a lying party could send is refused, not trapped on.
        var lying = Array(shares.prefix(6))
        lying[0].length = 1_000
        #expect(throws: SecureAggregationError.self) { try ShamirSharing.combine(lying) }
        lying = Array(shares.prefix(6))
        lying[1].values[0] = .max
        #expect(throws: SecureAggregationError.self) { try ShamirSharing.combine(lying) }
    }

    @Test func tamperedSharesAndOutOfTurnRequestsAreRefused() throws {
        var clients = (0..<3).map { SecureAggregationClient(id: "c\($0)", round: 2, threshold: 2) }
        var server = SecureAggregationServer(round: 2, threshold: 2, length: 4)
        for client in clients { try server.collect(client.advertise()) }
        #expect(throws: SecureAggregationError.self) { try server.collect(clients[0].advertise()) }
        let roster = try server.roster()
        var sealed = try clients[0].shareKeys(roster: roster)
        sealed[0].ciphertext[sealed[0].ciphertext.count / 2] ^= 1
        _ = try clients[1].shareKeys(roster: roster)
        // A tampered share leaves its sender out of the receiver's masks, with why.
        let left = clients[1].receive(sealed.filter { $0.to == "c1" })
        #expect(left.map(\.sender) == ["c0"] && left[0].reason.contains("cannot be opened") && !clients[1].maskedWith.contains("c0"))
        // A survivor list naming a client that never shared keys is refused: it would ask for
        // both of that client's secrets.
        #expect(throws: SecureAggregationError.self) { try clients[1].unmask(survivors: ["c1", "c2"]) }
        #expect(throws: SecureAggregationError.self) { try server.collect(masked: [1, 2, 3, 4], from: "c0") }
    }
}
