import Crypto
import Foundation

/// The server's side of secure aggregation (see ``SecureAggregationClient``): it collects key
/// advertisements and publishes the roster, relays the encrypted shares, collects masked inputs,
/// and from the survivors' revelations removes the self masks of those whose input arrived and
/// the pairwise masks of those who dropped after sharing: what is left is the sum of the inputs,
/// and it never sees one of them.
public struct SecureAggregationServer {
    /// The round.
    public let round: UInt64
    /// Shares needed to rebuild a secret; also the fewest clients each stage may go on with.
    public let threshold: Int
    /// Elements in every input.
    public let length: Int
    /// SecAgg+'s degree: each client's neighbours (0: every other client).
    public let degree: Int
    /// Who shares with whom, once the roster is published.
    public private(set) var graph: SecureAggregationGraph?
    private var advertisements: [String: KeyAdvertisement] = [:]
    private var published: [KeyAdvertisement]?
    private var relayed: [String: [EncryptedShare]] = [:]
    private var masked: [String: [UInt64]] = [:]
    /// For each masked input, the clients it is masked with (its pairwise masks).
    private var maskedWith: [String: Set<String>] = [:]
    private var revealed: [String: UnmaskingShares] = [:]

    /// A server for `round` over inputs of `length` elements, each client sharing with
    /// `degree` neighbours (0: with every other client).
    public init(round: UInt64, threshold: Int, length: Int, degree: Int = 0) {
        (self.round, self.threshold, self.length, self.degree) = (round, threshold, length, degree)
    }

    /// Round 0: a client's keys (before the roster is published).
    ///
    /// - Throws: ``SecureAggregationError`` for a second advertisement, bad keys, or one after the roster.
    public mutating func collect(_ advertisement: KeyAdvertisement) throws {
        guard published == nil, advertisements[advertisement.id] == nil,
              advertisement.encryptionKey.count == 32, advertisement.maskingKey.count == 32 else {
            throw SecureAggregationError("keys from \(advertisement.id) refused: repeated, malformed, or after the roster")
        }
        advertisements[advertisement.id] = advertisement
    }

    /// The roster every client is sent: the advertisements so far, sorted by id.
    ///
    /// - Throws: ``SecureAggregationError`` when they are under the threshold.
    public mutating func roster() throws -> [KeyAdvertisement] {
        if let published { return published }
        guard advertisements.count >= threshold else { throw SecureAggregationError.tooFew("keys advertised", have: advertisements.count, threshold: threshold) }
        let roster = advertisements.values.sorted { $0.id < $1.id }
        published = roster
        graph = SecureAggregationGraph(members: roster.map(\.id), degree: degree, round: round, threshold: threshold)
        return roster
    }

    /// What `id` is sent of the roster: every member, with the keys of its neighbourhood only
    /// (SecAgg+: the others' keys are empty, since it shares nothing with them; every member's id
    /// is kept, for the graph); the whole roster with degree 0.
    public func roster(for id: String) -> [KeyAdvertisement] {
        let roster = published ?? []
        guard let graph, degree > 0 else { return roster }
        let neighbourhood = Set(graph.neighbourhood(of: id))
        return roster.map { neighbourhood.contains($0.id) ? $0 : KeyAdvertisement(id: $0.id, encryptionKey: Data(), maskingKey: Data()) }
    }

    /// Round 1: `id`'s encrypted shares, one for each other client on the roster.
    ///
    /// - Throws: ``SecureAggregationError`` for a client off the roster, a repeat, or shares
    ///   that are not from it or not for the roster.
    public mutating func collect(shares: [EncryptedShare], from id: String) throws {
        let neighbours = Set(graph?.neighbours[id] ?? [])
        guard graph?.members.contains(id) == true, relayed[id] == nil, masked.isEmpty,
              shares.allSatisfy({ $0.from == id && neighbours.contains($0.to) }), Set(shares.map(\.to)) == neighbours, shares.count == neighbours.count else {
            throw SecureAggregationError("shares from \(id) refused: not on the roster, repeated, late, or not one for each of its neighbours")
        }
        relayed[id] = shares
    }

    /// The clients that shared keys, sorted.
    public var sharers: [String] { relayed.keys.sorted() }

    /// What to relay to `id`: the shares the others sent it.
    public func shares(for id: String) -> [EncryptedShare] {
        relayed.values.flatMap { $0 }.filter { $0.to == id }.sorted { $0.from < $1.from }
    }

    /// Round 2: `id`'s masked input, masked with the clients `partners` (nil: every other
    /// client that shared keys). A client whose shares did not open for `id` is not among them.
    ///
    /// - Throws: ``SecureAggregationError`` for a client that did not share keys, a repeat, the
    ///   wrong length, or partners that did not share keys.
    public mutating func collect(masked input: [UInt64], from id: String, maskedWith partners: [String]? = nil) throws {
        let others = Set(sharers).intersection(graph?.neighbours[id] ?? [])
        let partners = partners.map(Set.init) ?? others
        guard relayed[id] != nil, masked[id] == nil, revealed.isEmpty, input.count == length, partners.isSubset(of: others) else {
            throw SecureAggregationError("masked input from \(id) refused: it shared no keys, sent one already, came late, has \(input.count) elements (not \(length)), or names partners that did not share keys")
        }
        masked[id] = input
        maskedWith[id] = partners
    }

    /// The clients that some masked input left out of its masks (their shares did not open for
    /// it), sorted: they are dropped, whether their own input came or not.
    public var excluded: [String] {
        let sharing = Set(sharers)
        return masked.keys.reduce(into: Set<String>()) { excluded, id in
            excluded.formUnion(sharing.intersection(graph?.neighbours[id] ?? []).subtracting(maskedWith[id] ?? []))
        }.sorted()
    }

    /// The clients whose masked input arrived and that no one left out, sorted: what each is
    /// sent for the unmasking.
    ///
    /// - Throws: ``SecureAggregationError`` when they are under the threshold.
    public func survivors() throws -> [String] {
        let alive = Set(masked.keys).subtracting(excluded)
        guard alive.count >= threshold else { throw SecureAggregationError.tooFew("masked inputs", have: alive.count, threshold: threshold) }
        return alive.sorted()
    }

    /// Round 3: a survivor's revelations.
    ///
    /// - Throws: ``SecureAggregationError`` from a client that is not a survivor, a repeat, or
    ///   one revealing both secrets of one client.
    public mutating func collect(_ shares: UnmaskingShares) throws {
        let alive = Set(try survivors())
        guard alive.contains(shares.id), revealed[shares.id] == nil,
              Set(shares.selfMaskShares.keys).isDisjoint(with: shares.maskingKeyShares.keys) else {
            throw SecureAggregationError("unmasking shares from \(shares.id) refused: not a survivor, repeated, or malformed")
        }
        revealed[shares.id] = shares
    }

    /// The sum of the survivors' inputs, modulo 2^64. O((survivors + dropped × survivors) × length).
    ///
    /// - Throws: ``SecureAggregationError`` when fewer than the threshold revealed their shares,
    ///   or the shares do not rebuild valid secrets.
    public func sum() throws -> [UInt64] {
        guard revealed.count >= threshold else { throw SecureAggregationError.tooFew("unmasking answers", have: revealed.count, threshold: threshold) }
        let alive = try survivors()
        let dropped = sharers.filter { !alive.contains($0) }
        let roster = Dictionary(uniqueKeysWithValues: (published ?? []).map { ($0.id, $0) })
        var total = [UInt64](repeating: 0, count: length)
        for id in alive { MaskExpansion.apply(masked[id] ?? [], to: &total, sign: 1) }
        let needed = graph?.threshold ?? threshold
        for id in alive {
            let shares = revealed.values.compactMap { $0.selfMaskShares[id] }
            guard shares.count >= needed else { throw SecureAggregationError.tooFew("shares of \(id)'s self mask", have: shares.count, threshold: needed) }
            let seed = try ShamirSharing.combine(shares)
            MaskExpansion.apply(try MaskExpansion.mask(SymmetricKey(data: seed), count: length), to: &total, sign: -1)
        }
        for gone in dropped {
            // Only the survivors that masked with it hold a mask agreed with it (none did with a
            // client whose shares opened for no one).
            let partners = alive.filter { maskedWith[$0]?.contains(gone) == true }
            guard !partners.isEmpty else { continue }
            let shares = revealed.values.compactMap { $0.maskingKeyShares[gone] }
            guard shares.count >= needed else { throw SecureAggregationError.tooFew("shares of \(gone)'s masking key", have: shares.count, threshold: needed) }
            let raw = try ShamirSharing.combine(shares)
            let key: Curve25519.KeyAgreement.PrivateKey
            do { key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) } catch {
                throw SecureAggregationError("the shares of \(gone)'s masking key do not rebuild a key")
            }
            for id in partners {
                guard let other = roster[id] else { continue }
                let seed = try MaskExpansion.pairSeed(key, try Curve25519.KeyAgreement.PublicKey(rawRepresentation: other.maskingKey),
                                                      round: round, purpose: "mask")
                // `id` added this mask when it sorts before the dropped client, else subtracted it.
                MaskExpansion.apply(try MaskExpansion.mask(seed, count: length), to: &total, sign: id < gone ? -1 : 1)
            }
        }
        return total
    }
}
