import Foundation
import TesseraData
import TesseraNN

/// The run's data as the scheduler and its workers will split it: the test set, each client's
/// share sizes (the claims their updates are held to) and label counts. Made before any worker
/// starts, so that a split that cannot be made (a Dirichlet alpha so small that a client gets
/// nothing, more workers than samples) is an error first, and `tessera check` says so too.
public struct DataPlan: Sendable {
    /// The scheduler's test set.
    public let test: Dataset
    /// Each client's training and held-out sizes.
    public let shares: ShareSizes
    /// Label counts of each client's training share (none for more clients than a roster
    /// records).
    public let labels: [[Int]]
    /// Samples in the training set.
    public let trainingSamples: Int
    /// Bytes one training sample takes in a worker's memory.
    public let sampleBytes: Int
    /// Whether each worker reads the whole training set before keeping its share (MNIST and the
    /// generated sets; a data file's worker reads only its own samples).
    public let workersReadAll: Bool
    /// Where the data came from (`data.source: auto` resolved): MNIST's directory, a file, or synthetic.
    public let source: DataSource
    /// The source's name, and when `data.source: auto` found no MNIST, where it looked: a run on
    /// generated digits is then no surprise.
    public let sourceName: String
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// Number of classes.
    public let classes: Int
    /// How samples become model inputs.
    public let normalization: Normalization
    /// Where the test set comes from, in a phrase.
    public let testOrigin: String
    /// What a natural partition kept and dropped, in a phrase (nil for other partitions).
    public let naturalClients: String?
    /// The partition's name.
    private let partition: String

    /// The plan for `settings`' data, partition, workers and seed. A data file is read through
    /// once, so a bad value is found here rather than in some worker.
    ///
    /// - Throws: ``/TesseraData/DataError`` when the data cannot be found or loaded, or cannot be split so;
    ///   ``SchedulerError`` when the model does not take the data's samples or score its classes.
    public init(settings: RunSettings) throws {
        source = try DataSource.locate(explicit: settings.data == "auto" ? nil : settings.data)
        sourceName = source.name(foundBySearch: settings.data == "auto")
        let data = try DataCatalog(source, options: settings.dataOptions, seed: settings.seed)
        try data.scan()
        let partitionStrategy = settings.clientConfiguration(index: 0).partitionStrategy
        let split = try ClientShare.all(labels: data.labels, naturalClients: data.naturalClients, partition: partitionStrategy,
                                        clients: settings.workers, seed: settings.seed, heldOutFraction: settings.heldOut)
        labels = split.count > ClientRoster.maximumClients ? [] : split.map { share in
            share.trained.reduce(into: [Int](repeating: 0, count: data.classes)) { counts, index in counts[Int(data.labels[index])] += 1 }
        }
        test = try data.testSet()
        let sizes = split.sizes
        shares = ShareSizes(training: sizes.training, heldOut: sizes.heldOut)
        trainingSamples = data.labels.count
        sampleBytes = test.sampleSize * (test.values.isBytes ? 1 : 4)
        if case .file = source { workersReadAll = false } else { workersReadAll = true }
        sampleShape = data.sampleShape
        classes = data.classes
        normalization = data.normalization
        testOrigin = data.testOrigin
        if case let .natural(minimum) = partitionStrategy, let column = data.naturalClients {
            naturalClients = try NaturalClients(column: column, samples: data.labels.count, minimumSamples: minimum).summary(workers: settings.workers)
        } else {
            naturalClients = nil
        }
        partition = settings.partition.rawValue
        try Self.check(settings.model, sampleShape: data.sampleShape, classes: data.classes, normalization: data.normalization, from: source)
    }

    /// Checks that `model` takes samples of `sampleShape` (normalized so) and scores `classes`
    /// classes, before any worker starts (a declared model for other data would otherwise fail
    /// in every worker's first batch).
    ///
    /// - Throws: ``SchedulerError/invalidConfiguration(_:)`` saying what to declare instead.
    static func check(_ model: ModelSpec, sampleShape sample: [Int], classes: Int, normalization: Normalization,
                      from source: DataSource) throws {
        guard model.inputShape == sample else {
            // The generated data that would fit the model, if any.
            let fitting = [(SyntheticColorImages.sampleShape, "synthetic-images"), ([SyntheticText.length], "synthetic-text"), ([1, 28, 28], "synthetic")]
                .first { $0.0 == model.inputShape }.map { " or use data of its shape (data.source: \($0.1))" } ?? ""
            throw SchedulerError.invalidConfiguration(
                "model '\(model.name)' takes samples of \(model.inputShape), but the data (\(source.name)) has samples of \(sample): declare input: \(sample)" + fitting)
        }
        let output = try model.validate()
        guard output == [classes] else {
            throw SchedulerError.invalidConfiguration(
                "model '\(model.name)' outputs \(output) per sample, but the data (\(source.name)) has \(classes) classes: end the layers with one score per class, e.g. {linear: {out: \(classes)}}")
        }
        if case .embedding = model.layers.first, !normalization.isIdentity {
            throw SchedulerError.invalidConfiguration(
                "model '\(model.name)' starts with an embedding, which takes token numbers, but the data is normalized (\(normalization.summary)): set data.normalize.scale: 1")
        }
    }

    /// Checks that `model` takes `data`'s samples and scores its classes.
    ///
    /// - Throws: ``SchedulerError/invalidConfiguration(_:)`` saying what to declare instead.
    static func check(_ model: ModelSpec, takes data: Dataset, from source: DataSource) throws {
        try check(model, sampleShape: data.sampleShape, classes: data.classes, normalization: data.normalization, from: source)
    }

    /// "iid over 10 clients: 5,400 / 5,400 / 5,400 training samples (smallest / median /
    /// largest)": the split in a phrase.
    public var summary: String {
        let sizes = shares.training.sorted()
        let median = sizes.isEmpty ? 0 : sizes[sizes.count / 2]
        return "\(partition) over \(sizes.count) clients: \((sizes.first ?? 0).formatted()) / \(median.formatted()) / \((sizes.last ?? 0).formatted()) training samples (smallest / median / largest)"
    }

    /// "60,000 training samples of [1, 28, 28], 10 classes; normalized x/255, then (x − 0.13)/0.31;
    /// test set: the file's x_test and y_test (10,000 samples)": the data in a phrase.
    public var dataSummary: String {
        "\(trainingSamples.formatted()) training samples of \(sampleShape), \(classes) classes; normalization: \(normalization.summary); test set: \(testOrigin)"
    }
}
