/// Every client's share of a dataset as a split gives them: listed, for the splits that deal
/// each sample to one client, or rebuilt on demand from the seed (``PowerLawShares``), so that a
/// million clients' shares cost nothing until one is read. Sizes are known without building
/// the shares.
public struct ClientShares: RandomAccessCollection, Sendable {
    private enum Storage: Sendable {
        case listed([ClientShare])
        case drawn(PowerLawShares, clients: Int, heldOutFraction: Double, seed: UInt64)
    }

    private let storage: Storage

    /// Shares listed.
    public init(_ shares: [ClientShare]) {
        storage = .listed(shares)
    }

    /// `clients` power-law shares, each with its `heldOutFraction` held out (seeded by `seed`).
    public init(drawn shares: PowerLawShares, clients: Int, heldOutFraction: Double, seed: UInt64) {
        storage = .drawn(shares, clients: clients, heldOutFraction: heldOutFraction, seed: seed)
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case let .listed(shares): shares.count
        case let .drawn(_, clients, _, _): clients
        }
    }

    /// Client `client`'s share.
    public subscript(client: Int) -> ClientShare {
        switch storage {
        case let .listed(shares):
            return shares[client]
        case let .drawn(shares, _, fraction, seed):
            return ClientShare.holdOut(shares.indices(of: client), fraction: fraction, seed: seed, client: client)
        }
    }

    /// Each client's training and held-out sample counts, without building their shares.
    public var sizes: (training: [Int], heldOut: [Int]) {
        switch storage {
        case let .listed(shares):
            return (shares.map(\.trained.count), shares.map(\.heldOut.count))
        case let .drawn(shares, clients, fraction, _):
            let held = (0..<clients).map { ClientShare.heldOutCount(of: shares.size(of: $0), fraction: fraction) }
            return ((0..<clients).map { shares.size(of: $0) - held[$0] }, held)
        }
    }
}
