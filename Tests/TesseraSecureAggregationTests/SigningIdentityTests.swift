import Crypto
import Foundation
import Testing
@testable import TesseraSecureAggregation

/// Keys signed by their owners (the malicious-server variant's authenticated keys): a roster of
/// signed keys sums as before, and one the scheduler altered (keys of its own under a client's
/// name, a signature dropped, a client nobody trusts) stops every honest client before it
/// shares a secret.
@Suite("Signed keys")
struct SigningIdentityTests {
    /// Identities for `count` clients "c0"... trusting each other.
    static func identities(_ count: Int) throws -> [SigningIdentity] {
        let seeds = (0..<count).map { _ in Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }) }
        let publicKeys = try seeds.map { try Curve25519.Signing.PrivateKey(rawRepresentation: $0).publicKey.rawRepresentation }
        let trusted = Dictionary(uniqueKeysWithValues: publicKeys.enumerated().map { ("c\($0)", $1) })
        return try seeds.map { try SigningIdentity(privateKey: $0, verifyingKeys: trusted) }
    }

    @Test func signedKeysSumAsBefore() throws {
        let identities = try Self.identities(4)
        var clients = identities.indices.map { SecureAggregationClient(id: "c\($0)", round: 3, threshold: 3, identity: identities[$0]) }
        var server = SecureAggregationServer(round: 3, threshold: 3, length: 8)
        for client in clients { try server.collect(client.advertise()) }
        let roster = try server.roster()
        #expect(roster.allSatisfy { $0.signature?.count == 64 })
        for index in clients.indices { try server.collect(shares: try clients[index].shareKeys(roster: roster), from: clients[index].id) }
        for index in clients.indices { clients[index].receive(server.shares(for: clients[index].id)) }
        let inputs = (0..<4).map { client in (0..<8).map { UInt64(client * 10 + $0) } }
        for index in clients.indices { try server.collect(masked: try clients[index].mask(inputs[index]), from: clients[index].id) }
        // The consistency check: each signs the survivors, and unmasks once it sees enough signatures.
        let survivors = try server.survivors()
        #expect(throws: SecureAggregationError.self) { try clients[0].unmask(survivors: survivors) }
        var signatures: [String: Data] = [:]
        for index in clients.indices { signatures[clients[index].id] = try clients[index].signSurvivors(survivors).signature }
        for index in clients.indices { try server.collect(try clients[index].unmask(signatures: signatures)) }
        #expect(try server.sum() == (0..<8).map { UInt64(60 + 4 * $0) })
    }

    /// SecAgg+ sends each client its neighbours' keys only (the others' ids, blank): the keys it
    /// uses are checked, the blank entries must name clients it knows, and the round sums.
    @Test func secAggPlusChecksTheNeighboursKeysAndKnowsEveryMember() throws {
        let identities = try Self.identities(10)
        var clients = identities.indices.map { SecureAggregationClient(id: "c\($0)", round: 3, threshold: 6, identity: identities[$0]) }
        var server = SecureAggregationServer(round: 3, threshold: 6, length: 4, degree: 4)
        for client in clients { try server.collect(client.advertise()) }
        _ = try server.roster()
        #expect(server.roster(for: "c0").contains { $0.signature == nil && $0.encryptionKey.isEmpty })
        for index in clients.indices {
            try server.collect(shares: try clients[index].shareKeys(roster: server.roster(for: clients[index].id), degree: 4), from: clients[index].id)
        }
        for index in clients.indices { clients[index].receive(server.shares(for: clients[index].id)) }
        for index in clients.indices {
            try server.collect(masked: try clients[index].mask([1, 2, 3, 4]), from: clients[index].id, maskedWith: clients[index].maskedWith)
        }
        var signatures: [String: Data] = [:]
        for index in clients.indices { signatures[clients[index].id] = try clients[index].signSurvivors(try server.survivors()).signature }
        for index in clients.indices { try server.collect(try clients[index].unmask(signatures: signatures)) }
        #expect(try server.sum() == [10, 20, 30, 40])
        // A member the scheduler invented (no signing key), even outside the neighbourhood.
        var fresh = SecureAggregationClient(id: "c0", round: 3, threshold: 6, identity: identities[0])
        let roster = try clients.indices.map { index in index == 0 ? try fresh.advertise() : try clients[index].advertise() }
            + [KeyAdvertisement(id: "zz-invented", encryptionKey: Data(), maskingKey: Data())]
        #expect { _ = try fresh.shareKeys(roster: roster, degree: 4) } throws: { "\($0)".contains("zz-invented") }
    }

    /// A scheduler that shows one group of clients one list of survivors and another group
    /// another (to collect self-mask shares of a client from some and its masking-key shares
    /// from others) is caught: a client reveals only when the threshold signed the list it saw.
    @Test func survivorsShownDifferentlyAreCaughtByTheConsistencyCheck() throws {
        let identities = try Self.identities(5)
        var clients = identities.indices.map { SecureAggregationClient(id: "c\($0)", round: 3, threshold: 3, identity: identities[$0]) }
        var server = SecureAggregationServer(round: 3, threshold: 3, length: 4)
        for client in clients { try server.collect(client.advertise()) }
        let roster = try server.roster()
        for index in clients.indices { try server.collect(shares: try clients[index].shareKeys(roster: roster), from: clients[index].id) }
        for index in clients.indices { clients[index].receive(server.shares(for: clients[index].id)) }
        let (without4, everyone) = (["c0", "c1", "c2", "c3"], ["c0", "c1", "c2", "c3", "c4"])
        var signatures: [String: Data] = [:]
        for index in 0..<2 { signatures[clients[index].id] = try clients[index].signSurvivors(without4).signature }
        for index in 2..<5 { signatures[clients[index].id] = try clients[index].signSurvivors(everyone).signature }
        for index in 0..<2 {
            #expect { _ = try clients[index].unmask(signatures: signatures) } throws: { "\($0)".contains("2 of the survivors signed") }
        }
        #expect(throws: Never.self) { _ = try clients[2].unmask(signatures: signatures) }
        // A forged signature is not counted, and withheld ones leave too few.
        var forged = signatures
        forged["c3"] = Data(repeating: 7, count: 64)
        #expect(throws: SecureAggregationError.self) { _ = try clients[2].unmask(signatures: forged) }
        #expect(throws: SecureAggregationError.self) { _ = try clients[2].unmask(signatures: signatures.filter { $0.key != "c4" }) }
    }

    @Test func aRosterTheSchedulerAlteredIsRefusedBeforeAnySecretIsShared() throws {
        let identities = try Self.identities(3)
        let honest = identities.indices.map { SecureAggregationClient(id: "c\($0)", round: 3, threshold: 2, identity: identities[$0]) }
        let roster = try honest.map { try $0.advertise() }
        // Keys of the scheduler's own under c2's name, with c2's signature kept.
        var substituted = roster
        let impostor = try SecureAggregationClient(id: "c2", round: 3, threshold: 2).advertise()
        (substituted[2].encryptionKey, substituted[2].maskingKey) = (impostor.encryptionKey, impostor.maskingKey)
        // c2's signature dropped; a client that nobody trusts; last round's keys replayed.
        var unsigned = roster
        unsigned[2].signature = nil
        let stranger = roster + [try SecureAggregationClient(id: "c9", round: 3, threshold: 2, identity: identities[0]).advertise()]
        let replayed = try [honest[0].advertise(), honest[1].advertise(),
                            SecureAggregationClient(id: "c2", round: 2, threshold: 2, identity: identities[2]).advertise()]
        for (altered, says) in [(substituted, "not signed by c2"), (unsigned, "not signed"), (stranger, "no signing key for c9"),
                                (replayed, "not signed by c2")] {
            var client = honest[0]
            #expect { _ = try client.shareKeys(roster: altered) } throws: { "\($0)".contains(says) }
        }
        // A client without an identity checks nothing, as before.
        var trusting = SecureAggregationClient(id: "c0", round: 3, threshold: 2)
        #expect(throws: Never.self) { _ = try trusting.shareKeys(roster: [try trusting.advertise()] + unsigned.dropFirst()) }
    }
}
