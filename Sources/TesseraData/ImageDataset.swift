import TesseraTensor

/// Labeled samples stored as bytes (a 60,000-image MNIST set is 47 MB rather than 188 MB of
/// floats), converted to float tensors a batch at a time: images (`[channels, height, width]`,
/// pixel/255 normalized by the set's mean and deviation) or token sequences (`[length]`, each byte
/// a token index, as it is).
public struct ImageDataset: Sendable {
    /// Sample values, `count × sampleShape`, row-major: pixels 0...255 or token indices.
    public let pixels: [UInt8]
    /// Class of each sample, `0..<classes`.
    public let labels: [UInt8]
    /// The shape of one sample: `[channels, height, width]` for images, `[length]` for tokens.
    public let sampleShape: [Int]
    /// Whether samples are token indices (passed as they are) rather than pixels (normalized).
    public let isTokens: Bool
    /// Number of classes.
    public let classes: Int
    /// Mean and standard deviation of pixel/255 used to normalize batches of images.
    public var normalization: (mean: Float, standardDeviation: Float)

    /// A dataset of `labels.count` grey images of `height × width`.
    ///
    /// - Throws: ``DataError`` when the sizes disagree or a label is out of range.
    public init(pixels: [UInt8], labels: [UInt8], height: Int, width: Int, classes: Int = 10) throws {
        try self.init(values: pixels, labels: labels, sampleShape: [1, height, width], classes: classes)
    }

    /// A dataset of `labels.count` samples of `sampleShape`: images when it is `[channels,
    /// height, width]` and `tokens` is false, token sequences of `[length]` when it is true.
    ///
    /// - Throws: ``DataError`` when the sizes disagree, the shape is not one of those, or a
    ///   label is out of range.
    public init(values: [UInt8], labels: [UInt8], sampleShape: [Int], tokens: Bool = false, classes: Int = 10) throws {
        guard sampleShape.count == (tokens ? 1 : 3), sampleShape.allSatisfy({ $0 > 0 }),
              values.count == labels.count * sampleShape.reduce(1, *) else {
            throw DataError(.invalidArgument, "\(values.count) values do not make \(labels.count) \(tokens ? "sequences" : "images") of \(sampleShape)")
        }
        if let bad = labels.first(where: { Int($0) >= classes }) {
            throw DataError(.invalidArgument, "label \(bad) is outside 0..<\(classes)")
        }
        self.pixels = values
        self.labels = labels
        self.sampleShape = sampleShape
        isTokens = tokens
        self.classes = classes
        normalization = tokens ? (0, 1) : Self.statistics(of: values)
    }

    /// Values per sample.
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// Number of images.
    public var count: Int { labels.count }

    /// The mean and standard deviation of pixel/255 over `pixels`: sums of x and x² in
    /// 16-lane integer vectors (exact; 47 M MNIST pixels in a few milliseconds, which every
    /// worker of a run pays at startup).
    public static func statistics(of pixels: [UInt8]) -> (mean: Float, standardDeviation: Float) {
        var sum: UInt64 = 0, squares: UInt64 = 0
        pixels.withUnsafeBytes { bytes in
            // Per-lane UInt32 sums stay exact for 4,096 vectors (4,096 × 255² < 2³²).
            let vectors = bytes.count / 16
            var start = 0
            while start < vectors {
                let end = min(vectors, start + 4096)
                var laneSum = SIMD16<UInt32>(), laneSquares = SIMD16<UInt32>()
                for index in start..<end {
                    let wide = SIMD16<UInt32>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: index * 16, as: SIMD16<UInt8>.self))
                    laneSum &+= wide
                    laneSquares &+= wide &* wide
                }
                for lane in 0..<16 {
                    sum += UInt64(laneSum[lane])
                    squares += UInt64(laneSquares[lane])
                }
                start = end
            }
            for index in (vectors * 16)..<bytes.count {
                let value = UInt64(bytes[index])
                sum += value
                squares += value * value
            }
        }
        let total = Double(max(pixels.count, 1))
        let mean = Double(sum) / 255 / total
        let variance = max(Double(squares) / (255 * 255) / total - mean * mean, 1e-12)
        return (Float(mean), Float(variance.squareRoot()))
    }

    /// The samples at `indices` as an `[N] + sampleShape` tensor (images normalized with
    /// `normalization`, tokens as they are), and their labels as an N tensor of class indices.
    ///
    /// - Throws: ``DataError`` for an index out of range.
    public func batch<Indices: Collection>(_ indices: Indices) throws -> (inputs: Tensor, labels: Tensor) where Indices.Element == Int {
        let plane = sampleSize
        let scale = isTokens ? 1 : 1 / (255 * normalization.standardDeviation)
        let shift = isTokens ? 0 : -normalization.mean / normalization.standardDeviation
        var values = [Float](repeating: 0, count: indices.count * plane)
        var batchLabels = [Float](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            guard index >= 0 && index < count else {
                throw DataError(.invalidArgument, "sample index \(index) is outside 0..<\(count)")
            }
            batchLabels[row] = Float(labels[index])
            let source = index * plane, target = row * plane
            for offset in 0..<plane { values[target + offset] = Float(pixels[source + offset]) * scale + shift }
        }
        return (try Tensor(values, shape: [indices.count] + sampleShape), Tensor(batchLabels))
    }

    /// The samples at `indices` as a new dataset (a client's shard), keeping this normalization.
    public func subset(_ indices: [Int]) throws -> ImageDataset {
        let plane = sampleSize
        var newPixels: [UInt8] = []
        newPixels.reserveCapacity(indices.count * plane)
        var newLabels: [UInt8] = []
        for index in indices {
            guard index >= 0 && index < count else {
                throw DataError(.invalidArgument, "sample index \(index) is outside 0..<\(count)")
            }
            newPixels.append(contentsOf: pixels[(index * plane)..<((index + 1) * plane)])
            newLabels.append(labels[index])
        }
        var result = try ImageDataset(values: newPixels, labels: newLabels, sampleShape: sampleShape, tokens: isTokens, classes: classes)
        result.normalization = normalization
        return result
    }

    /// How many images of each class.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classes)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}
