import Foundation
import Testing
import TesseraData
import TesseraTensor

@Suite("Data sources")
struct DataSourceTests {
    static let sharedMNIST = URL(fileURLWithPath: "../shared/data/mnist")

    @Test func explicitDirectoryWithoutMNISTIsAnError() throws {
        let error = try #require(throws: DataError.self) { try DataSource.locate(explicit: "/nonexistent/mnist") }
        #expect(error.kind == .notFound)
        #expect(try DataSource.locate(explicit: "synthetic") == .synthetic)
    }

    @Test func fallsBackToSyntheticWhenNothingIsFound() throws {
        let source = try DataSource.locate(explicit: nil, environment: ["HOME": "/nonexistent", "TESSERA_DATA": "/nonexistent"])
        if !MNIST.isPresent(in: Self.sharedMNIST) {
            #expect(source == .synthetic)
        }
        #expect(try DataSource.locate(explicit: nil, environment: ["TESSERA_DATA": Self.sharedMNIST.path]) != .synthetic
                || !MNIST.isPresent(in: Self.sharedMNIST))
    }

    /// A run that found no MNIST says where it looked, and how to name the data.
    @Test func theFallbackSaysWhereItLooked() {
        let note = DataSource.notFoundNote(environment: ["HOME": "/home/ada", "TESSERA_DATA": "/data/mnist"])
        // The relative place is said from where the process runs.
        let beside = URL(fileURLWithPath: "../shared/data/mnist").path
        #expect(note == "no MNIST in /data/mnist, \(beside), /home/ada/.cache/tessera/mnist; --data (data.source in a topology) or TESSERA_DATA names one")
        // Said only when a search settled on them, not when the digits were asked for.
        #expect(DataSource.synthetic.name(foundBySearch: false) == "synthetic digits")
        #expect(DataSource.synthetic.name(foundBySearch: true).hasPrefix("synthetic digits (no MNIST in "))
        #expect(DataSource.syntheticImages.name(foundBySearch: true) == DataSource.syntheticImages.name)
    }

    @Test(.enabled(if: MNIST.isPresent(in: sharedMNIST), "needs ../shared/data/mnist"))
    func realMNISTLoads() throws {
        let (train, test) = try MNIST.load(from: Self.sharedMNIST)
        #expect(train.count == 60_000 && test.count == 10_000)
        #expect(train.sampleShape == [1, 28, 28])
        #expect(Array(train.labels.prefix(5)) == [5, 0, 4, 1, 9])
        #expect(test.labelHistogram() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        #expect(abs(train.normalization.mean[0] - 0.1307) < 0.0005)
        #expect(abs(train.normalization.standardDeviation[0] - 0.3081) < 0.0005)
        let (inputs, labels) = try test.batch([0, 1])
        #expect(inputs.shape == [2, 1, 28, 28] && labels.scalars == [7, 2])
    }

    @Test func syntheticDigitsAreSeededAndBalanced() throws {
        let a = try SyntheticDigits.images(count: 200, seed: 4), b = try SyntheticDigits.images(count: 200, seed: 4)
        #expect(a.values == b.values)
        #expect(a.labelHistogram() == Array(repeating: 20, count: 10))
        #expect(a.storedBytes.contains { $0 > 200 } && a.storedBytes.contains { $0 == 0 })
    }

    @Test func batchesCoverTheDatasetInASeededOrder() throws {
        let data = try SyntheticDigits.images(count: 103, seed: 1)
        let first = try Batches(data, batchSize: 10, shuffleSeed: 9), again = try Batches(data, batchSize: 10, shuffleSeed: 9)
        #expect(first.order == again.order && first.order != Array(0..<103))
        #expect(first.order.sorted() == Array(0..<103))
        let sizes = first.map { $0.labels.count }
        #expect(sizes.count == 11 && sizes.last == 3)
        #expect(throws: DataError.self) { try Batches(data, batchSize: 0) }
        #expect(throws: DataError.self) { try data.batch([103]) }
    }
}
