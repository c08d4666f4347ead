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
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DataError(.invalidArgument, "sample index \(bad) is outside 0..<\(count)")
        }
        let inputs = [Float](unsafeUninitializedCapacity: indices.count * plane) { target, initialized in
            switch values {
            case let .bytes(bytes):
                bytes.withUnsafeBufferPointer { Self.normalize($0, indices, plane: plane, affine: affine, into: target) { Float($0) } }
            case let .floats(floats):
                floats.withUnsafeBufferPointer { Self.normalize($0, indices, plane: plane, affine: affine, into: target) { $0 } }
            }
            initialized = indices.count * plane
        }
        return (try Tensor(inputs, shape: [indices.count] + sampleShape), Tensor(indices.map { Float(labels[$0]) }))
    }

    /// Writes the samples at `indices` (checked) of `source`, `plane` values each, to `target`
    /// one after another, each channel's run of values as `value(x) · scale + shift`. One
    /// plain loop a run, which the compiler turns into vector instructions.
    @inline(__always) private static func normalize<Value, Indices: Collection>(
        _ source: UnsafeBufferPointer<Value>, _ indices: Indices, plane: Int,
        affine: (run: Int, coefficients: [(scale: Float, shift: Float)]),
        into target: UnsafeMutableBufferPointer<Float>, value: (Value) -> Float) where Indices.Element == Int {
        guard let source = source.baseAddress, let target = target.baseAddress else { return }
        for (row, index) in indices.enumerated() {
            for (channel, (scale, shift)) in affine.coefficients.enumerated() {
                let start = channel * affine.run
                let from = source + index * plane + start, to = target + row * plane + start
                for offset in 0..<affine.run { to[offset] = value(from[offset]) * scale + shift }
            }
        }
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
