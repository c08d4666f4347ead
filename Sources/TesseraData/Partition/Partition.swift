import Foundation
import HeapModule
import TesseraTensor

/// How a dataset is split among federated clients. Every strategy is seeded; all but
/// ``powerLaw(minimum:exponent:)`` give every sample to exactly one client.
public enum Partition: Sendable, Hashable {
    /// Shuffled, then cut into equal parts (sizes differ by at most one).
    case iid
    /// For each class, client shares drawn from Dirichlet(alpha): small alpha, skewed labels. A
    /// client that draws no sample at all (many clients, few samples each) is given one.
    case dirichlet(alpha: Double)
    /// The FedAvg paper's pathological non-IID split: sort by label, cut into
    /// `clients × shardsPerClient` equal shards, deal `shardsPerClient` random shards to each
    /// client (with 100 clients and 2 per client on MNIST: 200 shards of 300).
    case labelShards(shardsPerClient: Int)
    /// The data's own clients (its `client` column: one per writer, speaker or device): those
    /// with fewer than `minimumSamples` are dropped, and the rest are dealt to the workers in
    /// turn (``NaturalClients``).
    case natural(minimumSamples: Int)
    /// Shares of power-law sizes, at least `minimum` samples, drawn from the data rather than
    /// dealt (``PowerLawShares``): they may overlap, so there may be more clients than samples.
    case powerLaw(minimum: Int, exponent: Double)

    /// Whether shares are drawn from the data (and may overlap) rather than dealt.
    public var isDrawn: Bool {
        if case .powerLaw = self { true } else { false }
    }

    /// Client index lists for `labels` split among `clients`, reproducible from `seed`;
    /// `naturalClients` is the data's client column (needed by ``natural(minimumSamples:)``).
    ///
    /// - Throws: ``DataError`` for fewer samples than clients, a bad parameter, or a natural
    ///   split of data without a client column or with fewer natural clients than `clients`.
    public func split(labels: [Int32], clients: Int, seed: UInt64, naturalClients: [Int64]? = nil) throws -> [[Int]] {
        guard clients >= 1 else { throw DataError(.impossibleSplit, "need at least one client, got \(clients)") }
        // Drawn shares may overlap; dealt ones need a sample for each client.
        guard labels.count >= clients || isDrawn else {
            throw DataError(.impossibleSplit, "\(labels.count) samples cannot give each of \(clients) clients one")
        }
        var generator = SeededGenerator(seed: seed)
        switch self {
        case .iid:
            var order = Array(labels.indices)
            order.shuffle(using: &generator)
            return (0..<clients).map { Array(order[(order.count * $0 / clients)..<(order.count * ($0 + 1) / clients)]) }
        case let .dirichlet(alpha):
            guard alpha > 0, alpha.isFinite else { throw DataError(.impossibleSplit, "Dirichlet alpha must be positive, got \(alpha)") }
            return Self.dirichlet(labels: labels, clients: clients, alpha: alpha, generator: &generator)
        case let .labelShards(perClient):
            let shards = clients * perClient
            guard perClient >= 1, shards <= labels.count else {
                throw DataError(.impossibleSplit, "\(clients) clients x \(perClient) shards do not fit \(labels.count) samples")
            }
            let sorted = labels.indices.sorted { (labels[$0], $0) < (labels[$1], $1) }
            var shardOrder = Array(0..<shards)
            shardOrder.shuffle(using: &generator)
            return (0..<clients).map { client in
                shardOrder[(client * perClient)..<((client + 1) * perClient)].flatMap { shard in
                    sorted[(sorted.count * shard / shards)..<(sorted.count * (shard + 1) / shards)]
                }
            }
        case let .natural(minimum):
            guard let naturalClients else {
                throw DataError(.impossibleSplit, "data.partition natural needs the data's client column (an integer per sample: 'client' in a .npz or safetensors file, data.client_column in a CSV); this data has none")
            }
            let natural = try NaturalClients(column: naturalClients, samples: labels.count, minimumSamples: minimum)
            return try natural.dealt(to: clients)
        case let .powerLaw(minimum, exponent):
            let shares = try PowerLawShares(samples: labels.count, minimum: minimum, exponent: exponent, seed: seed)
            return (0..<clients).map(shares.indices(of:))
        }
    }

    /// Dirichlet split: for each class, the clients' shares drawn from Dirichlet(alpha). With
    /// many clients (thousands over MNIST) some draw no sample of any class; those are then
    /// given one each (``giveEachEmptyClientOne(_:)``), so that every client trains and the
    /// others keep what they drew.
    private static func dirichlet(labels: [Int32], clients: Int, alpha: Double, generator: inout SeededGenerator) -> [[Int]] {
        var byClass: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byClass[Int(label), default: []].append(index) }
        var parts = [[Int]](repeating: [], count: clients)
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            members.shuffle(using: &generator)
            // Drawn as logarithms: with a small alpha, Gamma(alpha) samples underflow to 0
            // (Dirichlet(0.001) once made every weight 0 and the cut NaN).
            let logarithms = (0..<clients).map { _ in logGamma(alpha, using: &generator) }
            let largest = logarithms.max() ?? 0
            // (An alpha so small that 1/alpha overflows makes every logarithm -infinity: equal.)
            let weights = logarithms.map { largest.isFinite ? Foundation.exp($0 - largest) : 1 }
            let total = weights.reduce(0, +)
            var cumulative = 0.0, start = 0
            for client in 0..<clients {
                cumulative += weights[client] / total
                let end = client == clients - 1 ? members.count : min(members.count, Int((cumulative * Double(members.count)).rounded()))
                parts[client].append(contentsOf: members[start..<max(start, end)])
                start = max(start, end)
            }
        }
        giveEachEmptyClientOne(&parts)
        return parts
    }

    /// Gives each client without a sample, in client order, the last sample of the client that
    /// then holds the most (the first of equals). Needs at least as many samples as clients.
    /// O(clients · log clients).
    private static func giveEachEmptyClientOne(_ parts: inout [[Int]]) {
        /// A client that can give, ordered by how much it holds, then by a lower index.
        struct Holder: Comparable {
            let count: Int, client: Int
            static func < (a: Holder, b: Holder) -> Bool { (a.count, b.client) < (b.count, a.client) }
        }
        var holders = Heap(parts.indices.filter { parts[$0].count > 1 }.map { Holder(count: parts[$0].count, client: $0) })
        for empty in parts.indices where parts[empty].isEmpty {
            guard let holder = holders.popMax(), let sample = parts[holder.client].popLast() else { return }
            parts[empty] = [sample]
            if holder.count - 1 > 1 { holders.insert(Holder(count: holder.count - 1, client: holder.client)) }
        }
    }

    /// The logarithm of a Gamma(shape, 1) sample (Marsaglia–Tsang; shape < 1 through the boost
    /// U^(1/shape), added as its logarithm so that tiny shapes do not underflow).
    static func logGamma(_ shape: Double, using generator: inout SeededGenerator) -> Double {
        func unit() -> Double { max(Double(generator.nextUnitFloat()), 1e-12) }
        if shape < 1 {
            return logGamma(shape + 1, using: &generator) + Foundation.log(unit()) / shape
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                // Standard normal by Box–Muller.
                x = (-2 * Foundation.log(unit())).squareRoot() * Foundation.cos(2 * .pi * unit())
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = unit()
            if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
                return Foundation.log(d * v)
            }
        }
    }

    /// Per-client counts of each label, for reports.
    public static func labelHistograms(_ parts: [[Int]], labels: [Int32], classes: Int = 10) -> [[Int]] {
        parts.map { part in
            var histogram = [Int](repeating: 0, count: classes)
            for index in part where labels[index] >= 0 && Int(labels[index]) < classes { histogram[Int(labels[index])] += 1 }
            return histogram
        }
    }
}
