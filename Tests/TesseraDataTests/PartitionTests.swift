import Testing
import TesseraData

@Suite("Partitioners")
struct PartitionTests {
    /// 6,000 labels, 600 of each class, in a scrambled order.
    static let labels: [Int32] = (0..<6000).map { Int32(($0 * 7) % 10) }

    static let strategies: [Partition] = [.iid, .dirichlet(alpha: 0.5), .dirichlet(alpha: 100), .labelShards(shardsPerClient: 2)]

    @Test("every sample in exactly one client", arguments: strategies)
    func exactCoverage(strategy: Partition) throws {
        let parts = try strategy.split(labels: Self.labels, clients: 20, seed: 3)
        #expect(parts.count == 20)
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<Self.labels.count))
        #expect(parts.allSatisfy { !$0.isEmpty })
    }

    @Test("the same seed gives the same split", arguments: strategies)
    func deterministic(strategy: Partition) throws {
        #expect(try strategy.split(labels: Self.labels, clients: 20, seed: 3) == strategy.split(labels: Self.labels, clients: 20, seed: 3))
        #expect(try strategy.split(labels: Self.labels, clients: 20, seed: 3) != strategy.split(labels: Self.labels, clients: 20, seed: 4))
    }

    @Test func iidIsBalanced() throws {
        let parts = try Partition.iid.split(labels: Self.labels, clients: 7, seed: 1)
        #expect(Set(parts.map(\.count)).isSubset(of: [857, 858]))
    }

    @Test func shardsGiveEachClientFewLabels() throws {
        // The FedAvg paper's split: 100 clients, 200 shards of 300 (here 6,000 samples: shards of 30).
        let parts = try Partition.labelShards(shardsPerClient: 2).split(labels: Self.labels, clients: 100, seed: 2)
        #expect(parts.allSatisfy { $0.count == 60 })
        let histograms = Partition.labelHistograms(parts, labels: Self.labels)
        #expect(histograms.allSatisfy { $0.filter { $0 > 0 }.count <= 2 })
    }

    @Test func smallAlphaSkewsLabels() throws {
        func meanLabelsPerClient(_ alpha: Double) throws -> Double {
            let parts = try Partition.dirichlet(alpha: alpha).split(labels: Self.labels, clients: 10, seed: 5)
            let histograms = Partition.labelHistograms(parts, labels: Self.labels)
            // Labels holding at least 5% of a client's data.
            return Double(histograms.map { h in h.filter { Double($0) >= 0.05 * Double(h.reduce(0, +)) }.count }.reduce(0, +)) / 10
        }
        #expect(try meanLabelsPerClient(0.1) < meanLabelsPerClient(100))
    }

    /// Dirichlet(0.001) once trapped the scheduler: every Gamma draw underflowed to 0 and the
    /// cut became NaN. Drawn as logarithms, each class goes (almost) whole to one client: a valid
    /// split when every client gets a class, a typed error when one cannot.
    @Test func aTinyAlphaSplitsOrFailsWithoutATrap() throws {
        let parts = try Partition.dirichlet(alpha: 0.001).split(labels: Self.labels, clients: 3, seed: 1)
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<Self.labels.count))
        let histograms = Partition.labelHistograms(parts, labels: Self.labels)
        #expect(histograms.allSatisfy { $0.filter { $0 > 0 }.count <= 8 })
        #expect(throws: DataError.self) { try Partition.dirichlet(alpha: 1e-300).split(labels: Self.labels, clients: 20, seed: 1) }
        _ = try Partition.dirichlet(alpha: 1e-320).split(labels: Self.labels, clients: 3, seed: 1)
    }

    @Test func impossibleSplitsAreErrors() {
        #expect(throws: DataError.self) { try Partition.iid.split(labels: [1, 2], clients: 3, seed: 0) }
        #expect(throws: DataError.self) { try Partition.dirichlet(alpha: 0).split(labels: Self.labels, clients: 3, seed: 0) }
        #expect(throws: DataError.self) { try Partition.labelShards(shardsPerClient: 0).split(labels: Self.labels, clients: 3, seed: 0) }
        #expect(throws: DataError.self) { try Partition.iid.split(labels: Self.labels, clients: 0, seed: 0) }
    }
}
