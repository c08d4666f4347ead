import TesseraNN
import TesseraTensor
import TesseraWire

/// A tensor secret-shared among workers (PySyft's `.share`): its values in fixed point
/// (``/TesseraTensor/FixedPoint/shares``, 16 fraction bits) split into random ring tensors, one on each party,
/// that add up to it modulo 2^64. No party (nor the client, until ``reconstruct()``) learns
/// anything from its share. Sums and differences run on each party alone; products and matrix
/// products take a Beaver triple that the crypto provider makes and sends to the two parties
/// directly, and one exchange of masked values through the client.
///
/// ```swift
/// let x = try await Tensor([1, 2, 3, 4], shape: [2, 2]).share(among: [alice, bob], cryptoProvider: charlie)
/// let y = try await x.matmul(x)          // on alice and bob, by a triple from charlie
/// print(try await y.reconstruct())       // [[7, 10], [15, 22]] within 1e-4
/// ```
///
/// Each share is an ordinary ``RemoteTensor`` (a pointer to a ring tensor on its party, freed
/// with it); the ring ops are in docs/PROTOCOL.md ("Ring ops").
///
/// The ring holds 63 bits of magnitude and a product has 32 fraction bits before its
/// truncation, which is SecureML's two-party one: it is wrong for an element of magnitude v with
/// probability about v / 2^31 (and always past 2^31). Products are held to magnitudes of 2^16, so
/// that an element goes wrong with probability under 2^-15 at worst. Every shared tensor
/// carries a ``bound`` on its values' magnitude when the client knows one (the largest of the
/// values it was shared from, or the bound a worker's sharing was given) and each op derives its
/// result's, so a product that could wrap is refused with the figures before it runs, never
/// returned wrong; a product of values without a bound is refused too.
public struct SharedTensor: Sendable {
    /// The shape of the shared tensor.
    public let shape: [Int]
    /// One share on each party, in party order.
    public let shares: [RemoteTensor]
    /// The worker that makes Beaver triples for products (it never sees a share).
    public let cryptoProvider: RemoteWorker?
    /// The largest magnitude its values can have; nil when the client does not know (a tensor
    /// its worker shared without a bound: only the fixed point's own limit holds).
    public let bound: Double?

    /// The largest magnitude a product's values may have: 2^16, fifteen bits under the 2^31
    /// (2^63 over the 2^32 of its operands' fraction bits) where the truncation always fails.
    public static let productBound = Double(1 << 16)

    /// The parties, in order.
    public var parties: [RemoteWorker] { shares.map(\.worker) }

    static let encoding = FixedPoint.shares

    /// The shared tensor, brought back: every share fetched, added and decoded.
    ///
    /// - Throws: ``RemoteError`` or a transport error.
    public func reconstruct() async throws -> Tensor {
        var sum = try RingTensor([UInt64](repeating: 0, count: shape.reduce(1, *)), shape: shape)
        for share in shares { sum = try sum.adding(try await share.worker.fetchShare(share.id)) }
        return sum.decoded(Self.encoding)
    }

    /// `self + other`, each party adding its shares.
    ///
    /// - Throws: ``RemoteTensorError`` for operands on other parties or of other shapes; ``RemoteError``.
    public func adding(_ other: SharedTensor) async throws -> SharedTensor {
        try await combined(other, .add)
    }

    /// `self - other`, each party subtracting its shares.
    ///
    /// - Throws: ``RemoteTensorError`` for operands on other parties or of other shapes; ``RemoteError``.
    public func subtracting(_ other: SharedTensor) async throws -> SharedTensor {
        try await combined(other, .subtract)
    }

    /// `self * other`, elementwise, by a Beaver triple from the crypto provider.
    ///
    /// - Throws: ``RemoteTensorError`` without a provider, for other than two parties, other
    ///   parties or shapes; ``RemoteError``.
    public func multiplying(_ other: SharedTensor) async throws -> SharedTensor {
        try await product(other, .multiply)
    }

    /// The matrix product `self · other` (`[m, k]` by `[k, n]`), by a Beaver triple from the
    /// crypto provider.
    ///
    /// - Throws: ``RemoteTensorError`` without a provider, for other than two parties, other
    ///   parties or shapes; ``RemoteError``.
    public func matmul(_ other: SharedTensor) async throws -> SharedTensor {
        try await product(other, .matmul)
    }

    private func combined(_ other: SharedTensor, _ op: RingOp) async throws -> SharedTensor {
        try check(other, op)
        let results = try await Self.eachParty(Array(zip(shares, other.shares))) { _, pair in
            let (mine, theirs) = pair
            let output = mine.worker.makeID()
            try await mine.worker.runRing([RingStep(op, [mine.id, theirs.id], into: output)])
            return RemoteTensor(worker: mine.worker, id: output)
        }
        let sum = try bound.flatMap { mine in try other.bound.map { try Self.checked(mine + $0, op, limit: 2 * Self.encoding.bound) } }
        return SharedTensor(shape: shape, shares: results, cryptoProvider: cryptoProvider ?? other.cryptoProvider, bound: sum)
    }

    /// `bound` when it is within `limit`.
    ///
    /// - Throws: ``RemoteTensorError`` saying that `op`'s values could reach `bound`.
    static func checked(_ bound: Double, _ op: RingOp, limit: Double) throws -> Double {
        guard bound <= limit else {
            throw RemoteTensorError(description: "\(op.name) of shared tensors could reach \(bound) in magnitude, beyond the \(limit) its fixed point holds reliably (its result could wrap around): scale the values down first")
        }
        return bound
    }

    /// The Beaver product (Beaver 1991): the provider shares a random a, b and c = a ∘ b; each
    /// party opens e = x − a and f = y − b (uniformly random, so they tell nothing), and then
    /// holds c + e ∘ b + a ∘ f (+ e ∘ f for party 0), a share of x ∘ y, which it truncates.
    /// The parties work at the same time.
    private func product(_ other: SharedTensor, _ op: RingOp) async throws -> SharedTensor {
        try check(other, op)
        guard let provider = cryptoProvider ?? other.cryptoProvider else {
            throw RemoteTensorError(description: "\(op.name) of shared tensors needs a crypto provider: share them with cryptoProvider:")
        }
        guard shares.count == 2 else {
            throw RemoteTensorError(description: "\(op.name) of shared tensors works among 2 parties (its truncation is SecureML's two-party one), not \(shares.count)")
        }
        let shape = try op.resultShape(for: [self.shape, other.shape])
        // A matrix product sums k products.
        let terms = op == .matmul ? Double(self.shape.last ?? 1) : 1
        guard let mine = self.bound, let theirs = other.bound else {
            throw RemoteTensorError(description: "\(op.name) of shared tensors needs a bound on their values (a product wraps past \(Self.productBound)): share a worker's tensor with share(among:cryptoProvider:bound:)")
        }
        let bound = try Self.checked(mine * theirs * terms, op, limit: Self.productBound)
        let triple = try await Self.triple(op, self.shape, other.shape, from: provider, to: parties)
        // Each party masks its shares and sends them back: the client opens e and f.
        let masked = try await Self.eachParty(Array(zip(shares, other.shares))) { party, pair in
            let worker = pair.0.worker
            let (e, f) = (worker.makeID(), worker.makeID())
            try await worker.runRing([RingStep(.subtract, [pair.0.id, triple[party][0].id], into: e),
                                      RingStep(.subtract, [pair.1.id, triple[party][1].id], into: f)])
            let opened = [try await worker.fetchShare(e), try await worker.fetchShare(f)]
            try await worker.free([e, f])
            return opened
        }
        let opened = [try masked[0][0].adding(masked[1][0]), try masked[0][1].adding(masked[1][1])]
        let results = try await Self.eachParty(parties) { party, worker in
            let (e, f) = (try await opened[0].send(to: worker), try await opened[1].send(to: worker))
            let (a, b, c) = (triple[party][0].id, triple[party][1].id, triple[party][2].id)
            let (eb, af, z) = (worker.makeID(), worker.makeID(), worker.makeID())
            var steps = [RingStep(op, [e.id, b], into: eb), RingStep(op, [a, f.id], into: af),
                         RingStep(.add, [c, eb], into: z), RingStep(.add, [z, af], into: z)]
            if party == 0 {
                steps += [RingStep(op, [e.id, f.id], into: eb), RingStep(.add, [z, eb], into: z)]
            }
            steps.append(RingStep(.truncate(bits: Self.encoding.fractionBits, party: party), [z], into: z))
            try await worker.runRing(steps)
            try await worker.free([eb, af])
            return RemoteTensor(worker: worker, id: z)
        }
        return SharedTensor(shape: shape, shares: results, cryptoProvider: provider, bound: bound)
    }

    /// `body` for each of `items` (one a party) at the same time, the results in order.
    static func eachParty<Item: Sendable, Result: Sendable>(_ items: [Item],
                                                            _ body: @escaping @Sendable (Int, Item) async throws -> Result) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            for (index, item) in items.enumerated() { group.addTask { (index, try await body(index, item)) } }
            var results: [Int: Result] = [:]
            for try await (index, result) in group { results[index] = result }
            return items.indices.compactMap { results[$0] }
        }
    }

    /// A Beaver triple for `op` on shapes `left` and `right`, made on `provider` and moved to
    /// `parties` (its shares go worker to worker, not through the client): per party, pointers
    /// to its shares of a, b and c.
    static func triple(_ op: RingOp, _ left: [Int], _ right: [Int], from provider: RemoteWorker,
                       to parties: [RemoteWorker]) async throws -> [[RemoteTensor]] {
        let (a, b, c) = (provider.makeID(), provider.makeID(), provider.makeID())
        var steps = [RingStep(.random(shape: left), [], into: a), RingStep(.random(shape: right), [], into: b), RingStep(op, [a, b], into: c)]
        // Party 1's shares are random; party 0's are the rest.
        var held: [[TensorID]] = [[], []]
        for (value, shape) in [(a, left), (b, right), (c, try op.resultShape(for: [left, right]))] {
            let (first, second) = (provider.makeID(), provider.makeID())
            steps += [RingStep(.random(shape: shape), [], into: second), RingStep(.subtract, [value, second], into: first)]
            held[0].append(first)
            held[1].append(second)
        }
        try await provider.runRing(steps)
        try await provider.free([a, b, c])
        let moves = held.enumerated().flatMap { party, ids in ids.map { (party, $0) } }
        let moved = try await eachParty(moves) { _, move in
            try await RemoteTensor(worker: provider, id: move.1).move(to: parties[move.0])
        }
        return [Array(moved.prefix(3)), Array(moved.suffix(3))]
    }

    private func check(_ other: SharedTensor, _ op: RingOp) throws {
        guard shares.count == other.shares.count, zip(shares, other.shares).allSatisfy({ $0.worker === $1.worker }) else {
            throw RemoteTensorError(description: "\(op.name): the operands are shared among different parties")
        }
        do {
            _ = try op.resultShape(for: [shape, other.shape])
        } catch {
            throw RemoteTensorError(description: "\(error)")
        }
    }
}

extension Tensor {
    /// This tensor split into additive shares, one on each of `parties` (at least 2), with
    /// `cryptoProvider` making the triples its products need. The shares are made here from the
    /// system's secure source; only party i ever receives share i.
    ///
    /// - Throws: ``RemoteTensorError`` for fewer than 2 parties or a value too large for the
    ///   fixed point (magnitude 2^46); ``RemoteError``.
    public func share(among parties: [RemoteWorker], cryptoProvider: RemoteWorker? = nil) async throws -> SharedTensor {
        guard parties.count >= 2 else { throw RemoteTensorError(description: "sharing needs at least 2 parties, not \(parties.count)") }
        var entropy = SystemEntropy()
        let pieces: [RingTensor]
        do {
            pieces = try RingTensor(encoding: self, SharedTensor.encoding).shares(parties.count, using: &entropy)
        } catch {
            throw RemoteTensorError(description: "cannot share: \(error)")
        }
        var shares: [RemoteTensor] = []
        for (piece, party) in zip(pieces, parties) { shares.append(try await piece.send(to: party)) }
        return SharedTensor(shape: shape, shares: shares, cryptoProvider: cryptoProvider,
                            bound: scalars.reduce(0) { Swift.max($0, abs(Double($1))) })
    }
}

extension RemoteTensor {
    /// The tensor this points at split into additive shares on `parties` by its own worker, so
    /// that its value never leaves it in the clear: the worker encodes it, draws a random share
    /// for every party but the first, keeps the rest, and moves each share to its party (the
    /// first stays when the worker is that party). The client asks for the shape alone, never a
    /// share's values. The client does not see the values, so their
    /// magnitude is `bound` (the caller's word: the data's range); without one, products of the
    /// result are refused.
    ///
    /// - Throws: ``RemoteTensorError`` for fewer than 2 parties; ``RemoteError`` (a value too
    ///   large for the fixed point, an unknown tensor).
    public func share(among parties: [RemoteWorker], cryptoProvider: RemoteWorker? = nil, bound: Double? = nil) async throws -> SharedTensor {
        guard parties.count >= 2 else { throw RemoteTensorError(description: "sharing needs at least 2 parties, not \(parties.count)") }
        let rest = worker.makeID()
        var steps = [RingStep(.encode(fractionBits: SharedTensor.encoding.fractionBits), [id], into: rest)]
        var pieces: [RemoteTensor] = []
        for _ in 1..<parties.count {
            let piece = worker.makeID()
            steps += [RingStep(.randomLike, [rest], into: piece), RingStep(.subtract, [rest, piece], into: rest)]
            pieces.append(RemoteTensor(worker: worker, id: piece))
        }
        try await worker.runRing(steps)
        let shape = try await worker.shape(of: rest)
        var shares: [RemoteTensor] = []
        for (party, piece) in zip(parties, [RemoteTensor(worker: worker, id: rest)] + pieces) {
            shares.append(party === worker ? piece : try await piece.move(to: party))
        }
        return SharedTensor(shape: shape, shares: shares, cryptoProvider: cryptoProvider, bound: bound)
    }
}
