import Foundation
import TesseraTensor

/// A run's data, opened: every training label (and natural client) known, sample values read
/// only for the indices asked for. The scheduler plans a run from it (the split, the claims it
/// holds updates to, the test set); a worker takes its share from it, so a worker of a large
/// file reads its own samples, not the file.
public struct DataCatalog: Sendable {
    /// Where the samples are.
    private enum Content: Sendable {
        case memory(train: Dataset, test: Dataset)
        /// A file, with the file rows that are training samples and test samples when the file
        /// has no test split of its own (nil: all rows train, the file's test split tests).
        case file(DataFile, trainRows: [Int]?, testRows: [Int]?)
    }

    /// Where the data came from.
    public let source: DataSource
    /// Each training sample's label.
    public let labels: [Int32]
    /// Each training sample's natural client id, when the data has a client column.
    public let naturalClients: [Int64]?
    /// Number of classes: one more than the largest label (of the training and test samples).
    public let classes: Int
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// How samples become model inputs (the declared one, else the source's).
    public let normalization: Normalization
    /// Where the test set comes from, in a phrase: "x_test" or "a seeded 10% of the file".
    public let testOrigin: String
    private let content: Content

    /// Opens `source` with `options`; `seed` generates synthetic data and picks a file's test
    /// samples when it has no test split.
    ///
    /// - Throws: ``DataError`` when the data cannot be found or read, or the options do not fit it.
    public init(_ source: DataSource, options: DataOptions = DataOptions(), seed: UInt64 = 0) throws {
        self.source = source
        switch source {
        case let .file(url):
            let file = try DataFile(url: url, options: options)
            var trainRows: [Int]? = nil, testRows: [Int]? = nil
            if file.testLabels == nil {
                guard options.testFraction > 0, options.testFraction < 1 else {
                    throw DataError(.invalidArgument, "data.test_fraction \(options.testFraction) is outside (0, 1)")
                }
                guard file.labels.count >= 2 else {
                    throw DataError.malformed(url.path, "has \(file.labels.count) sample, too few to set some aside for testing (or give x_test and y_test)")
                }
                let count = min(file.labels.count - 1, max(1, Int(Double(file.labels.count) * options.testFraction)))
                var generator = SeededGenerator(seed: seed &+ 0x7E57)
                let chosen = Set(Array(file.labels.indices).shuffled(using: &generator).prefix(count))
                testRows = file.labels.indices.filter { chosen.contains($0) }
                trainRows = file.labels.indices.filter { !chosen.contains($0) }
                testOrigin = "a seeded \(Self.percent(options.testFraction)) of the file (data.test_fraction; \(count) sample\(count == 1 ? "" : "s"))"
            } else {
                testOrigin = "the file's x_test and y_test (\((file.testLabels?.count ?? 0).formatted()) samples)"
            }
            let rows = trainRows ?? Array(file.labels.indices)
            labels = rows.map { Int32(file.labels[$0]) }
            naturalClients = file.clients.map { clients in rows.map { clients[$0] } }
            classes = Int(max(file.labels.max() ?? 0, file.testLabels?.max() ?? 0)) + 1
            sampleShape = file.sampleShape
            normalization = options.normalization(over: file.storesBytes ? Normalization(scale: 255) : .identity)
            content = .file(file, trainRows: trainRows, testRows: testRows)
        default:
            let (train, test) = try source.generated(seed: seed)
            labels = train.labels
            naturalClients = nil
            classes = train.classes
            sampleShape = train.sampleShape
            normalization = options.normalization(over: train.normalization)
            testOrigin = "its test split (\(test.count) samples)"
            content = .memory(train: train, test: test)
        }
        try normalization.check(channels: sampleShape[0])
    }

    /// The training samples at `indices` (into ``labels``) as a dataset.
    ///
    /// - Throws: ``DataError`` for an index out of range or a sample the file cannot give.
    public func training(_ indices: [Int]) throws -> Dataset {
        switch content {
        case let .memory(train, _):
            var subset = try train.subset(indices)
            subset.normalization = normalization
            return subset
        case let .file(file, trainRows, _):
            if let bad = indices.first(where: { $0 < 0 || $0 >= labels.count }) {
                throw DataError(.invalidArgument, "sample index \(bad) is outside 0..<\(labels.count)")
            }
            let rows = trainRows.map { map in indices.map { map[$0] } } ?? indices
            return try Dataset(values: try file.training(rows), labels: indices.map { labels[$0] }, sampleShape: sampleShape,
                               classes: classes, normalization: normalization)
        }
    }

    /// The test set.
    ///
    /// - Throws: ``DataError`` for samples the file cannot give.
    public func testSet() throws -> Dataset {
        switch content {
        case let .memory(_, test):
            var set = test
            set.normalization = normalization
            return set
        case let .file(file, _, testRows):
            if let testRows {
                return try Dataset(values: try file.training(testRows), labels: testRows.map { Int32(file.labels[$0]) },
                                   sampleShape: sampleShape, classes: classes, normalization: normalization)
            }
            guard let values = try file.test(), let testLabels = file.testLabels else {
                throw DataError(.invalidArgument, "\(file.url.path) has no test split")
            }
            return try Dataset(values: values, labels: testLabels.map { Int32($0) }, sampleShape: sampleShape,
                               classes: classes, normalization: normalization)
        }
    }

    /// Reads every sample of a file once to find a bad value before any worker does (in-memory
    /// sources are checked as they are made).
    ///
    /// - Throws: ``DataError`` for the first value that is not a finite number.
    public func scan() throws {
        if case let .file(file, _, _) = content { try file.scan() }
    }

    private static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value == value.rounded() ? "\(Int(value)) %" : "\(value) %"
    }
}
