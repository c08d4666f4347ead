import TesseraData
import TesseraNN

/// The run's data as the scheduler and its workers will split it: the test set, each client's
/// share sizes (the claims their updates are held to) and label counts. Made before any worker
/// starts, so that a split that cannot be made (a Dirichlet alpha so small that a client gets
/// nothing, more workers than samples) is an error first, and `tessera check` says so too.
public struct DataPlan: Sendable {
    /// The scheduler's test set.
    public let test: ImageDataset
    /// Each client's training and held-out sizes.
    public let shares: ShareSizes
    /// Label counts of each client's training share.
    public let labels: [[Int]]
    /// Samples in the training set (a worker loads all of them before keeping its share).
    public let trainingSamples: Int
    /// Bytes of one training sample's pixels.
    public let sampleBytes: Int
    /// Where the data came from (`data.source: auto` resolved): MNIST's directory, or synthetic.
    public let source: DataSource

    /// The plan for `settings`' data, partition, workers and seed.
    ///
    /// - Throws: ``DataError`` when the data cannot be found or loaded, or cannot be split so;
    ///   ``SchedulerError`` when the model does not take the data's samples or score its classes.
    public init(settings: RunSettings) throws {
        source = try DataSource.locate(explicit: settings.data == "auto" ? nil : settings.data)
        let data = try source.load(seed: settings.seed)
        let split = try ClientShare.all(labels: data.train.labels, partition: settings.clientConfiguration(index: 0).partitionStrategy,
                                        clients: settings.workers, seed: settings.seed, heldOutFraction: settings.heldOut)
        let classes = Int(data.train.labels.max() ?? 0) + 1
        labels = split.map { share in
            share.trained.reduce(into: [Int](repeating: 0, count: classes)) { counts, index in counts[Int(data.train.labels[index])] += 1 }
        }
        test = data.test
        shares = ShareSizes(training: split.map(\.trained.count), heldOut: split.map(\.heldOut.count))
        trainingSamples = data.train.count
        sampleBytes = data.train.sampleSize
        try Self.check(settings.model, takes: data.train, from: source)
    }

    /// Checks that `model` takes `data`'s samples and scores its classes, before any worker
    /// starts (a declared model for other data would otherwise fail in every worker's first batch).
    ///
    /// - Throws: ``SchedulerError/invalidConfiguration(_:)`` saying what to declare instead.
    static func check(_ model: ModelSpec, takes data: ImageDataset, from source: DataSource) throws {
        let sample = data.sampleShape
        guard model.inputShape == sample else {
            // The generated data that would fit the model, if any.
            let fitting = [(SyntheticColorImages.sampleShape, "synthetic-images"), ([SyntheticText.length], "synthetic-text"), ([1, 28, 28], "synthetic")]
                .first { $0.0 == model.inputShape }.map { " or use data of its shape (data.source: \($0.1))" } ?? ""
            throw SchedulerError.invalidConfiguration(
                "model '\(model.name)' takes samples of \(model.inputShape), but the data (\(source.name)) has samples of \(sample): declare input: \(sample)" + fitting)
        }
        let output = try model.validate()
        guard output == [data.classes] else {
            throw SchedulerError.invalidConfiguration(
                "model '\(model.name)' outputs \(output) per sample, but the data (\(source.name)) has \(data.classes) classes: end the layers with one score per class, e.g. {linear: {out: \(data.classes)}}")
        }
    }

    /// "10 clients of 5,400 to 6,600 training samples": the split in a phrase.
    public var summary: String {
        let sizes = shares.training
        return "\(sizes.count) clients of \(sizes.min() ?? 0) to \(sizes.max() ?? 0) training samples"
    }
}
