import Testing
import TesseraData

@Suite("Natural clients")
struct NaturalClientsTests {
    /// Client ids of sizes 3, 7, 10, 12, 13, 15, interleaved so that each client's samples are scattered.
    static let column: [Int64] = {
        let sizes = [3, 7, 10, 12, 13, 15]
        var column: [Int64] = []
        var remaining = sizes
        while remaining.contains(where: { $0 > 0 }) {
            for client in remaining.indices where remaining[client] > 0 {
                column.append(Int64(client * 100 + 7))
                remaining[client] -= 1
            }
        }
        return column
    }()

    @Test func smallClientsAreDroppedAndTheRestDealtInTurn() throws {
        let natural = try NaturalClients(column: Self.column, samples: 60, minimumSamples: 10)
        #expect(natural.kept.map(\.count) == [10, 12, 13, 15])
        #expect(natural.droppedClients == 2 && natural.droppedSamples == 10)
        #expect(natural.kept.allSatisfy { part in Set(part.map { Self.column[$0] }).count == 1 })
        let dealt = try natural.dealt(to: 2)
        #expect(dealt.map(\.count) == [10 + 13, 12 + 15])
        #expect(natural.summary(workers: 2) == "4 natural clients (2 with fewer than 10 samples dropped: 10 samples), 2 per worker")
        let error = try #require(throws: DataError.self) { try natural.dealt(to: 5) }
        #expect(error.description.contains("4 natural clients with at least 10 samples, fewer than the 5 workers"))
    }

    @Test func theNaturalPartitionNeedsAClientColumn() throws {
        let labels = [Int32](repeating: 0, count: 60)
        let error = try #require(throws: DataError.self) {
            try Partition.natural(minimumSamples: 1).split(labels: labels, clients: 2, seed: 1)
        }
        #expect(error.description.contains("needs the data's client column"))
        let parts = try Partition.natural(minimumSamples: 1).split(labels: labels, clients: 6, seed: 1, naturalClients: Self.column)
        #expect(parts.map(\.count) == [3, 7, 10, 12, 13, 15])
    }

    @Test func heldOutSamplesComeFromEachClientsOwn() throws {
        let labels = [Int32](repeating: 1, count: 60)
        let shares = try ClientShare.all(labels: labels, naturalClients: Self.column, partition: .natural(minimumSamples: 10),
                                         clients: 4, seed: 2, heldOutFraction: 0.2)
        for share in shares {
            #expect(Set((share.trained + share.heldOut).map { Self.column[$0] }).count == 1)
            #expect(!share.heldOut.isEmpty)
        }
    }

    @Test func aMinimumThatLeavesNoClientIsAnError() throws {
        #expect(throws: DataError.self) { try NaturalClients(column: Self.column, samples: 60, minimumSamples: 16) }
        #expect(throws: DataError.self) { try NaturalClients(column: Self.column, samples: 61, minimumSamples: 1) }
    }
}
