import TesseraTensor

/// Labeled single-channel images stored as bytes (a 60,000-image MNIST set is 47 MB rather than
/// 188 MB of floats); batches are converted to normalized float tensors on demand.
public struct ImageDataset: Sendable {
    /// Pixels, `count × height × width`, row-major, 0...255.
    public let pixels: [UInt8]
    /// Class of each image, `0..<classes`.
    public let labels: [UInt8]
    /// Image height and width.
    public let height, width: Int
    /// Number of classes.
    public let classes: Int
    /// Mean and standard deviation of pixel/255 used to normalize batches.
    public var normalization: (mean: Float, standardDeviation: Float)

    /// A dataset of `labels.count` images.
    ///
    /// - Throws: ``DataError`` when the sizes disagree or a label is out of range.
    public init(pixels: [UInt8], labels: [UInt8], height: Int, width: Int, classes: Int = 10) throws {
        guard height > 0, width > 0, pixels.count == labels.count * height * width else {
            throw DataError(.invalidArgument, "\(pixels.count) pixels do not make \(labels.count) images of \(height)x\(width)")
        }
        if let bad = labels.first(where: { Int($0) >= classes }) {
            throw DataError(.invalidArgument, "label \(bad) is outside 0..<\(classes)")
        }
        self.pixels = pixels
        self.labels = labels
        self.height = height
        self.width = width
        self.classes = classes
        normalization = Self.statistics(of: pixels)
    }

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

    /// The images at `indices` as an N × 1 × H × W tensor normalized with `normalization`, and
    /// their labels as an N tensor of class indices.
    ///
    /// - Throws: ``DataError`` for an index out of range.
    public func batch<Indices: Collection>(_ indices: Indices) throws -> (inputs: Tensor, labels: Tensor) where Indices.Element == Int {
        let plane = height * width
        let scale = 1 / (255 * normalization.standardDeviation)
        let shift = -normalization.mean / normalization.standardDeviation
        var values = [Float](repeating: 0, count: indices.count * plane)
        var batchLabels = [Float](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            guard index >= 0 && index < count else {
                throw DataError(.invalidArgument, "image index \(index) is outside 0..<\(count)")
            }
            batchLabels[row] = Float(labels[index])
            let source = index * plane, target = row * plane
            for offset in 0..<plane { values[target + offset] = Float(pixels[source + offset]) * scale + shift }
        }
        return (try Tensor(values, shape: [indices.count, 1, height, width]), Tensor(batchLabels))
    }

    /// The images at `indices` as a new dataset (a client's shard), keeping this normalization.
    public func subset(_ indices: [Int]) throws -> ImageDataset {
        let plane = height * width
        var newPixels: [UInt8] = []
        newPixels.reserveCapacity(indices.count * plane)
        var newLabels: [UInt8] = []
        for index in indices {
            guard index >= 0 && index < count else {
                throw DataError(.invalidArgument, "image index \(index) is outside 0..<\(count)")
            }
            newPixels.append(contentsOf: pixels[(index * plane)..<((index + 1) * plane)])
            newLabels.append(labels[index])
        }
        var result = try ImageDataset(pixels: newPixels, labels: newLabels, height: height, width: width, classes: classes)
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
