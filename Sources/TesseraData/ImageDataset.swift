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

    /// The mean and standard deviation of pixel/255 over `pixels`.
    public static func statistics(of pixels: [UInt8]) -> (mean: Float, standardDeviation: Float) {
        var histogram = [Int](repeating: 0, count: 256)
        for pixel in pixels { histogram[Int(pixel)] += 1 }
        let total = Double(max(pixels.count, 1))
        var mean = 0.0, square = 0.0
        for (value, count) in histogram.enumerated() {
            let x = Double(value) / 255
            mean += x * Double(count)
            square += x * x * Double(count)
        }
        mean /= total
        let variance = max(square / total - mean * mean, 1e-12)
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
