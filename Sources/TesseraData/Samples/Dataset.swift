import TesseraTensor

/// Labeled samples held in memory as they were stored (bytes stay bytes: a 60,000-image MNIST set
/// is 47 MB rather than 188 MB of floats), converted to float tensors a batch at a time with the
/// dataset's ``Normalization``. A sample is any shape: `[channels, height, width]` images,
/// `[features]` rows, `[length]` token sequences.
public struct Dataset: Sendable {
    /// Sample values, `count × sampleShape`, row-major.
    public let values: SampleValues
    /// Class of each sample, `0..<classes`.
    public let labels: [Int32]
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// Number of classes.
    public let classes: Int
    /// How stored values become the model's inputs.
    public var normalization: Normalization

    /// A dataset of `labels.count` samples of `sampleShape`.
    ///
    /// - Throws: ``DataError`` when the sizes disagree, a label is out of range, or the
    ///   normalization does not fit the sample's channels.
    public init(values: SampleValues, labels: [Int32], sampleShape: [Int], classes: Int, normalization: Normalization) throws {
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }),
              values.count == labels.count * sampleShape.reduce(1, *) else {
            throw DataError(.invalidArgument, "\(values.count) values do not make \(labels.count) samples of \(sampleShape)")
        }
        if let bad = labels.first(where: { $0 < 0 || Int($0) >= classes }) {
            throw DataError(.invalidArgument, "label \(bad) is outside 0..<\(classes)")
        }
        try normalization.check(channels: sampleShape[0])
        self.values = values
        self.labels = labels
        self.sampleShape = sampleShape
        self.classes = classes
        self.normalization = normalization
    }

    /// A dataset of images (`[channels, height, width]`) or token sequences (`[length]`) stored
    /// as bytes: images normalized by their own statistics (``Normalization/statistics(of:)``),
    /// tokens passed as they are.
    ///
    /// - Throws: ``DataError`` when the sizes disagree or a label is out of range.
    public init(bytes: [UInt8], labels: [Int32], sampleShape: [Int], tokens: Bool = false, classes: Int = 10) throws {
        try self.init(values: .bytes(bytes), labels: labels, sampleShape: sampleShape, classes: classes,
                      normalization: tokens ? .identity : .statistics(of: bytes))
    }

    /// Values per sample.
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// Number of samples.
    public var count: Int { labels.count }

    /// The samples at `indices` as an `[N] + sampleShape` tensor, normalized, and their labels
    /// as an N tensor of class indices.
    ///
    /// - Throws: ``DataError`` for an index out of range.
    public func batch<Indices: Collection>(_ indices: Indices) throws -> (inputs: Tensor, labels: Tensor) where Indices.Element == Int {
        let plane = sampleSize
        let affine = normalization.affine(channels: sampleShape[0], sampleSize: plane)
        var inputs = [Float](repeating: 0, count: indices.count * plane)
        var batchLabels = [Float](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            guard index >= 0 && index < count else {
                throw DataError(.invalidArgument, "sample index \(index) is outside 0..<\(count)")
            }
            batchLabels[row] = Float(labels[index])
            let source = index * plane, target = row * plane
            for (channel, (scale, shift)) in affine.coefficients.enumerated() {
                let start = channel * affine.run
                switch values {
                case let .bytes(bytes):
                    for offset in start..<(start + affine.run) { inputs[target + offset] = Float(bytes[source + offset]) * scale + shift }
                case let .floats(floats):
                    for offset in start..<(start + affine.run) { inputs[target + offset] = floats[source + offset] * scale + shift }
                }
            }
        }
        return (try Tensor(inputs, shape: [indices.count] + sampleShape), Tensor(batchLabels))
    }

    /// The samples at `indices` as a new dataset (a client's shard), keeping this normalization.
    ///
    /// - Throws: ``DataError`` for an index out of range.
    public func subset(_ indices: [Int]) throws -> Dataset {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DataError(.invalidArgument, "sample index \(bad) is outside 0..<\(count)")
        }
        return try Dataset(values: values.rows(indices, size: sampleSize), labels: indices.map { labels[$0] },
                           sampleShape: sampleShape, classes: classes, normalization: normalization)
    }

    /// How many samples of each class.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classes)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}
