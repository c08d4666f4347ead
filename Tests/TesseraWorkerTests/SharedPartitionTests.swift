import Testing
import TesseraNN
import TesseraWire
@testable import TesseraWorker

/// The clients of one process load and split the run's data once, and each takes the share it
/// would have taken alone.
@Suite("Shared partition")
struct SharedPartitionTests {
    static func configuration(_ index: Int, seed: UInt64 = 1) throws -> ClientConfiguration {
        ClientConfiguration(model: try ModelSpec.named("mnist-2nn"), data: "synthetic", partition: .dirichlet, clients: 6,
                            clientIndex: index, seed: seed)
    }

    @Test func clientsOfOneRunShareOnePartitionAndTakeTheirOwnShares() throws {
        let cache = PartitionCache()
        let first = try cache.partition(for: try Self.configuration(0))
        // Every welcome of the run, decoded anew as a hosted client's would be, finds it again.
        for index in 1..<6 {
            let welcomed = try ClientConfiguration(json: try Self.configuration(index).json())
            #expect(try cache.partition(for: welcomed) === first, "client \(index)")
        }
        #expect(try cache.partition(for: try Self.configuration(0, seed: 2)) !== first)
        for index in [0, 4] {
            let shared = try LocalTrainer(configuration: try Self.configuration(index), partition: try cache.partition(for: try Self.configuration(index)))
            let alone = try LocalTrainer(configuration: try Self.configuration(index))
            #expect(shared.shard.labels == alone.shard.labels && shared.shard.count == alone.shard.count)
        }
    }
}
