import Crypto
import Foundation

/// Who shares secrets and masks with whom in a round. With degree 0, everyone with everyone
/// (Bonawitz et al. 2017): O(n²) shares and masks a round. With degree k, SecAgg+ (Bell et al.
/// 2020): each client with its k neighbours on a Harary graph laid over a permutation of the
/// roster (k/2 on each side), so a round costs O(n·k) and k = O(log n) suffices. The permutation
/// orders the ids by a hash of the round and each id, so every client and the server (in any
/// language) draw the same graph without sending it.
///
/// A client's secrets are Shamir-shared among its neighbourhood (its neighbours and itself),
/// any majority of which rebuilds them: the whole roster's threshold with degree 0, a strict
/// majority of the k + 1 with degree k.
public struct SecureAggregationGraph: Sendable, Equatable {
    /// The members, sorted.
    public let members: [String]
    /// Each member's neighbours, sorted (itself not among them).
    public let neighbours: [String: [String]]
    /// The shares that rebuild any member's secrets.
    public let threshold: Int

    /// The graph of `members` in `round`: complete when `degree` is 0 or at least the members
    /// less one (then `threshold` holds), else each member with `degree` neighbours (rounded up
    /// to even) and a strict majority of its neighbourhood as the threshold.
    public init(members: [String], degree: Int, round: UInt64, threshold: Int) {
        let sorted = Array(Set(members)).sorted()
        self.members = sorted
        let n = sorted.count
        guard degree > 0 && degree < n - 1 else {
            neighbours = Dictionary(uniqueKeysWithValues: sorted.map { id in (id, sorted.filter { $0 != id }) })
            self.threshold = threshold
            return
        }
        let half = (degree + 1) / 2
        // The permutation: the ids ordered by a hash of the round and each id, which any
        // language reproduces.
        let order = sorted.map { ($0, Self.rank($0, round: round)) }
            .sorted { $0.1 == $1.1 ? $0.0 < $1.0 : $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
        var links: [String: Set<String>] = [:]
        for (position, id) in order.enumerated() {
            for step in 1...half {
                links[id, default: []].insert(order[(position + step) % n])
                links[id, default: []].insert(order[(position - step + n) % n])
            }
        }
        neighbours = Dictionary(uniqueKeysWithValues: sorted.map { ($0, (links[$0] ?? []).sorted()) })
        self.threshold = (2 * half + 1) / 2 + 1
    }

    /// `id`'s neighbourhood: its neighbours and itself, sorted (the parties its secrets are
    /// shared among; party i holds the share at x = i + 1).
    public func neighbourhood(of id: String) -> [String] {
        ((neighbours[id] ?? []) + [id]).sorted()
    }

    /// Whether `a` and `b` share masks.
    public func areNeighbours(_ a: String, _ b: String) -> Bool {
        neighbours[a]?.contains(b) == true
    }

    /// Where `id` goes in the round's permutation: SHA-256 of "tessera secagg+ graph ROUND:ID",
    /// compared byte by byte (the order of its hex).
    static func rank(_ id: String, round: UInt64) -> [UInt8] {
        Array(SHA256.hash(data: Data("tessera secagg+ graph \(round):\(id)".utf8)))
    }
}
