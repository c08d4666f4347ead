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
    /// cut became NaN. Drawn as logarithms, each class goes (almost) whole to one client; with
    /// more clients than classes, those left without a class are given one sample each.
    @Test func aTinyAlphaSplitsWithoutATrap() throws {
        let parts = try Partition.dirichlet(alpha: 0.001).split(labels: Self.labels, clients: 3, seed: 1)
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<Self.labels.count))
        let histograms = Partition.labelHistograms(parts, labels: Self.labels)
        #expect(histograms.allSatisfy { $0.filter { $0 > 0 }.count <= 8 })
        let twenty = try Partition.dirichlet(alpha: 1e-300).split(labels: Self.labels, clients: 20, seed: 1)
        #expect(twenty.flatMap { $0 }.sorted() == Array(0..<Self.labels.count))
        #expect(twenty.filter { $0.count == 1 }.count >= 10 && twenty.allSatisfy { !$0.isEmpty }, "\(twenty.map(\.count))")
        _ = try Partition.dirichlet(alpha: 1e-320).split(labels: Self.labels, clients: 3, seed: 1)
    }

    /// MNIST's 60,000 training samples over 10,000 clients: six samples a client on average, so
    /// most clients draw nothing of most classes, and some nothing at all (327 of them at
    /// Dirichlet(0.5) with this seed, 2,212 at 0.1). Every client still holds a sample, every
    /// sample is held once, the labels stay skewed (more so for a smaller alpha), and those given
    /// one sample stay a minority.
    @Test(arguments: [(0.5, 0.03, 1_000), (0.1, 0.15, 3_000)])
    func tenThousandClientsEachHoldASampleAndSkewedLabels(alpha: Double, skew: Double, givenAtMost: Int) throws {
        let labels: [Int32] = (0..<60_000).map { Int32(($0 * 7) % 10) }
        let parts = try Partition.dirichlet(alpha: alpha).split(labels: labels, clients: 10_000, seed: 1)
        #expect(parts.count == 10_000 && parts.allSatisfy { !$0.isEmpty })
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<labels.count))
        // The share of the samples that are of their client's most common label: about a third
        // when six samples a client are dealt at random.
        func inTopLabel(_ parts: [[Int]]) -> Double {
            Double(Partition.labelHistograms(parts, labels: labels).map { $0.max() ?? 0 }.reduce(0, +)) / Double(labels.count)
        }
        let skewed = inTopLabel(parts), even = inTopLabel(try Partition.iid.split(labels: labels, clients: 10_000, seed: 1))
        let given = parts.filter { $0.count == 1 }.count
        #expect(skewed > even + skew, "in the top label: Dirichlet(\(alpha)) \(skewed), iid \(even)")
        #expect(given <= givenAtMost, "\(given) clients hold one sample")
    }

    @Test func impossibleSplitsAreErrors() {
        #expect(throws: DataError.self) { try Partition.iid.split(labels: [1, 2], clients: 3, seed: 0) }
        #expect(throws: DataError.self) { try Partition.dirichlet(alpha: 0).split(labels: Self.labels, clients: 3, seed: 0) }
        #expect(throws: DataError.self) { try Partition.labelShards(shardsPerClient: 0).split(labels: Self.labels, clients: 3, seed: 0) }
        #expect(throws: DataError.self) { try Partition.iid.split(labels: Self.labels, clients: 0, seed: 0) }
    }
}
