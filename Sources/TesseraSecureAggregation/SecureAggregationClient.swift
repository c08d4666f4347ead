import Crypto
import Foundation

/// One client's side of secure aggregation (Bonawitz et al. 2017, "Practical Secure
/// Aggregation for Privacy-Preserving Machine Learning", the honest-but-curious server
/// version): it advertises two X25519 public keys; Shamir-shares its masking key and a random
/// self-mask seed among the round's clients, each share encrypted to its holder; sends its input
/// plus its self mask plus, for every other client, a mask agreed with it (added or subtracted
/// by the order of their ids, so each pair's masks cancel in the sum); and reveals, for the
/// unmasking, self-mask shares of the clients whose input arrived and masking-key shares of
/// those whose did not, never both for one client. The server sees masked vectors and the sum.
public struct SecureAggregationClient {
    /// This client's id.
    public let id: String
    /// The round, bound into every key and share.
    public let round: UInt64
    /// Shares needed to rebuild a secret.
    public let threshold: Int
    private let encryptionKey = Curve25519.KeyAgreement.PrivateKey()
    private let maskingKey = Curve25519.KeyAgreement.PrivateKey()
    private let selfSeed: [UInt8] = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    private var roster: [KeyAdvertisement] = []
    /// Who shares with whom (published with the roster: everyone, or SecAgg+ neighbours).
    public private(set) var graph: SecureAggregationGraph?
    /// The shares this client holds, by whose secrets they are (its own included).
    private var held: [String: HeldShares] = [:]

    struct HeldShares: Codable, Equatable {
        var maskingKey: ShamirSharing.Share
        var selfSeed: ShamirSharing.Share
    }

    /// Signs its keys and checks every other client's (nil: neither).
    private let identity: SigningIdentity?
    /// Whether it signs its keys, and so checks the survivors before it unmasks.
    public var signs: Bool { identity != nil }
    /// The survivors it signed (the consistency check), the only ones it unmasks for.
    private var acknowledged: [String]?

    /// A client `id` for `round`, with `threshold` shares rebuilding a secret; with an
    /// `identity`, it signs its keys and takes part only with clients whose keys are signed by
    /// the keys the identity trusts for them.
    public init(id: String, round: UInt64, threshold: Int, identity: SigningIdentity? = nil) {
        (self.id, self.round, self.threshold, self.identity) = (id, round, threshold, identity)
    }

    /// Round 0: the public keys, signed when the client has an identity.
    ///
    /// - Throws: ``SecureAggregationError`` when signing fails.
    public func advertise() throws -> KeyAdvertisement {
        let keys = unsignedKeys
        guard let identity else { return keys }
        do {
            return try identity.sign(keys, round: round)
        } catch {
            throw SecureAggregationError("cannot sign \(id)'s keys: \(error)")
        }
    }

    /// Its public keys, unsigned.
    private var unsignedKeys: KeyAdvertisement {
        KeyAdvertisement(id: id, encryptionKey: encryptionKey.publicKey.rawRepresentation, maskingKey: maskingKey.publicKey.rawRepresentation)
    }

    /// Round 1: given the round's roster (every client that advertised in time, sorted by id),
    /// this client's shares for each of its neighbours (every other client with `degree` 0; its
    /// `degree` SecAgg+ neighbours otherwise, ``SecureAggregationGraph``), encrypted to it.
    ///
    /// - Throws: ``SecureAggregationError`` for a roster under the threshold or a threshold that
    ///   is not a majority of it, without this
    ///   client's own keys, with repeated ids or bad keys.
    public mutating func shareKeys(roster: [KeyAdvertisement], degree: Int = 0) throws -> [EncryptedShare] {
        guard roster.count >= threshold else { throw SecureAggregationError.tooFew("the roster", have: roster.count, threshold: threshold) }
        guard Set(roster.map(\.id)).count == roster.count, roster.contains(where: { $0.id == id && $0.encryptionKey == unsignedKeys.encryptionKey && $0.maskingKey == unsignedKeys.maskingKey }) else {
            throw SecureAggregationError("the roster repeats a client or does not hold this client's keys")
        }
        self.roster = roster.sorted { $0.id < $1.id }
        let graph = SecureAggregationGraph(members: self.roster.map(\.id), degree: degree, round: round, threshold: threshold)
        let parties = graph.neighbourhood(of: id)
        // Against a malicious scheduler: every key this client uses (its neighbourhood's) is its
        // owner's, signed; every other member (SecAgg+ sends their ids only) is one it knows, so
        // that no invented member reshapes the graph.
        if let identity {
            let neighbourhood = Set(parties)
            for keys in roster {
                if neighbourhood.contains(keys.id) {
                    try identity.verify(keys, round: round)
                } else if identity.verifyingKeys[keys.id] == nil {
                    throw SecureAggregationError("the roster names \(keys.id), for whom there is no signing key (its \(keys.id).sign): the scheduler may have invented it")
                }
            }
        }
        // A threshold that is not a majority of the parties (t = 2 of 1,000) would let a colluding
        // minority rebuild this client's secrets: a server that asks for one is refused.
        guard graph.threshold >= 2, 2 * graph.threshold > parties.count else {
            throw SecureAggregationError("a threshold of \(graph.threshold) for \(parties.count) parties is not a majority; refusing to share this client's secrets so thinly")
        }
        self.graph = graph
        let keyShares = try ShamirSharing.split(Array(maskingKey.rawRepresentation), threshold: graph.threshold, parties: parties.count)
        let seedShares = try ShamirSharing.split(selfSeed, threshold: graph.threshold, parties: parties.count)
        var sealed: [EncryptedShare] = []
        for (index, party) in parties.enumerated() {
            let shares = HeldShares(maskingKey: keyShares[index], selfSeed: seedShares[index])
            guard party != id else {
                held[id] = shares
                continue
            }
            guard let other = self.roster.first(where: { $0.id == party }) else { continue }
            let key = try MaskExpansion.pairSeed(encryptionKey, try Curve25519.KeyAgreement.PublicKey(rawRepresentation: other.encryptionKey),
                                                 round: round, purpose: "shares")
            let box = try ChaChaPoly.seal(try JSONEncoder().encode(shares), using: key, authenticating: Self.binding(round, id, other.id))
            sealed.append(EncryptedShare(from: id, to: other.id, ciphertext: box.combined))
        }
        return sealed
    }

    /// Round 1, answered: the shares the other clients sent this one (through the server).
    /// A share that cannot be used (from outside the roster, for another client, one that does
    /// not decrypt: a participant that sent garbage) leaves its sender out of this client's
    /// masks, as one that never shared (Bonawitz et al. drop the bad client, not the round);
    /// ``maskedWith`` tells the server whom this client's input is masked with.
    ///
    /// - Returns: The senders left out, each with why.
    @discardableResult
    public mutating func receive(_ shares: [EncryptedShare]) -> [(sender: String, reason: String)] {
        var excluded: [(sender: String, reason: String)] = []
        for share in shares {
            do {
                try accept(share)
            } catch {
                held[share.from] = nil
                if share.from != id { excluded.append((share.from, "\(error)")) }
            }
        }
        return excluded
    }

    /// The other clients whose shares this one holds, sorted: its input's pairwise masks are
    /// agreed with them, and no one else.
    public var maskedWith: [String] { held.keys.filter { $0 != id }.sorted() }

    /// Opens `share` and keeps what it holds.
    private mutating func accept(_ share: EncryptedShare) throws {
        guard share.to == id, share.from != id, let sender = roster.first(where: { $0.id == share.from }), let graph,
              graph.areNeighbours(id, share.from), let index = graph.neighbourhood(of: share.from).firstIndex(of: id) else {
            throw SecureAggregationError("a share from \(share.from) to \(share.to) does not belong to this client's round")
        }
        do {
            let key = try MaskExpansion.pairSeed(encryptionKey, try Curve25519.KeyAgreement.PublicKey(rawRepresentation: sender.encryptionKey),
                                                 round: round, purpose: "shares")
            let opened = try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: share.ciphertext), using: key,
                                             authenticating: Self.binding(round, share.from, id))
            let shares = try JSONDecoder().decode(HeldShares.self, from: opened)
            guard shares.maskingKey.x == UInt64(index + 1), shares.selfSeed.x == UInt64(index + 1) else {
                throw SecureAggregationError("shares for another party")
            }
            held[share.from] = shares
        } catch {
            throw SecureAggregationError("the share from \(share.from) cannot be opened (\(error)); it was altered or is not for this round")
        }
    }

    /// Round 2: `input` (fixed-point encoded) masked: plus the self mask, plus or minus the mask
    /// agreed with every client whose shares arrived. O(clients × input).
    ///
    /// - Throws: ``SecureAggregationError`` when fewer than the threshold shared keys.
    public func mask(_ input: [UInt64]) throws -> [UInt64] {
        let sharers = held.keys.sorted()
        let needed = graph?.threshold ?? threshold
        guard sharers.count >= needed else { throw SecureAggregationError.tooFew("shares received", have: sharers.count, threshold: needed) }
        var masked = input
        MaskExpansion.apply(try MaskExpansion.mask(SymmetricKey(data: selfSeed), count: input.count), to: &masked, sign: 1)
        for other in sharers where other != id {
            guard let keys = roster.first(where: { $0.id == other }) else { continue }
            let seed = try MaskExpansion.pairSeed(maskingKey, try Curve25519.KeyAgreement.PublicKey(rawRepresentation: keys.maskingKey),
                                                  round: round, purpose: "mask")
            MaskExpansion.apply(try MaskExpansion.mask(seed, count: input.count), to: &masked, sign: id < other ? 1 : -1)
        }
        return masked
    }

    /// Round 3: given the clients whose masked input arrived, what this client reveals.
    ///
    /// - Throws: ``SecureAggregationError`` when the survivors are under the threshold, or
    ///   name a client that never shared keys (a server asking for both of one client's secrets).
    public func unmask(survivors: [String]) throws -> UnmaskingShares {
        // With an identity, only after the consistency check (``unmask(signatures:)``).
        guard identity == nil else {
            throw SecureAggregationError("the survivors were not checked: a client that signs its keys reveals shares only once enough others signed the same survivors")
        }
        return try revealing(for: survivors)
    }

    /// The consistency check of the malicious-server variant (Bonawitz et al. 2017, round 4), for
    /// a client with an identity: its signature of the survivors the server named, to be shown
    /// to the others. It then unmasks only for this list (``unmask(signatures:)``).
    ///
    /// - Throws: ``SecureAggregationError`` without an identity, or for survivors it cannot
    ///   unmask for.
    public mutating func signSurvivors(_ survivors: [String]) throws -> SurvivorsSignature {
        guard let identity else { throw SecureAggregationError("a client without an identity has nothing to sign the survivors with") }
        _ = try revealing(for: survivors)
        let list = Set(survivors).sorted()
        acknowledged = list
        do {
            return SurvivorsSignature(id: id, signature: try identity.sign(SurvivorsSignature.signedBytes(list, round: round)))
        } catch {
            throw SecureAggregationError("cannot sign the survivors: \(error)")
        }
    }

    /// The shares it reveals for the survivors it signed, once `signatures` (by id) hold valid
    /// signatures of that same list from at least the threshold of them (and of its own
    /// neighbourhood's threshold under SecAgg+): otherwise the server may have shown others a
    /// different list, to learn both secrets of one client, and it reveals nothing. Signatures
    /// that do not verify are not counted.
    ///
    /// - Throws: ``SecureAggregationError`` before ``signSurvivors(_:)``, or with too few valid
    ///   signatures.
    public func unmask(signatures: [String: Data]) throws -> UnmaskingShares {
        guard let identity, let acknowledged else { throw SecureAggregationError("no survivors were signed") }
        let bytes = SurvivorsSignature.signedBytes(acknowledged, round: round)
        let valid = Set(signatures.filter { acknowledged.contains($0.key) && identity.isValid($0.value, by: $0.key, for: bytes) }.keys)
        let neighbourhood = Set(graph?.neighbourhood(of: id) ?? [])
        let needed = graph?.threshold ?? threshold
        guard valid.count >= threshold, valid.intersection(neighbourhood).count >= needed else {
            throw SecureAggregationError("\(valid.count) of the survivors signed the list this client was shown, fewer than the threshold \(max(threshold, needed)): the scheduler may have shown others another; nothing revealed")
        }
        return try revealing(for: acknowledged)
    }

    /// The shares to reveal for `survivors`, checked.
    private func revealing(for survivors: [String]) throws -> UnmaskingShares {
        let alive = Set(survivors)
        guard alive.count >= threshold else { throw SecureAggregationError.tooFew("the survivors", have: alive.count, threshold: threshold) }
        // Of its neighbourhood, only clients whose shares it holds may be survivors.
        let neighbourhood = Set(graph?.neighbourhood(of: id) ?? [])
        guard alive.intersection(neighbourhood).isSubset(of: held.keys), alive.contains(id) else {
            throw SecureAggregationError("the survivors name clients that did not share keys, or leave this client out")
        }
        var revealed = UnmaskingShares(id: id, selfMaskShares: [:], maskingKeyShares: [:])
        for (owner, shares) in held {
            if alive.contains(owner) { revealed.selfMaskShares[owner] = shares.selfSeed } else { revealed.maskingKeyShares[owner] = shares.maskingKey }
        }
        return revealed
    }

    /// What a sealed share is bound to: its round, sender and receiver.
    static func binding(_ round: UInt64, _ from: String, _ to: String) -> Data {
        Data("tessera secure aggregation round \(round) from \(from) to \(to)".utf8)
    }
}
