/// How stored sample values become a model's inputs: `(value / scale − mean[c]) / std[c]`, where
/// `c` is the value's channel (the first axis of a sample: an image's colour plane, a table's
/// feature) or every value alike when one mean and one deviation are given. Declared in a
/// topology as `data.normalize` (`docs/DATA.md`); sent to workers in the welcome.
public struct Normalization: Sendable, Equatable, Codable {
    /// What every stored value is divided by first (255 for bytes that are pixels).
    public var scale: Float
    /// The mean subtracted after scaling: one value, or one per channel.
    public var mean: [Float]
    /// The deviation divided by last: one value, or one per channel.
    public var standardDeviation: [Float]

    /// Values passed as they are (token indices, features already scaled).
    public static let identity = Normalization()

    /// A normalization; each list holds one value or one per channel.
    public init(scale: Float = 1, mean: [Float] = [0], standardDeviation: [Float] = [1]) {
        self.scale = scale
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    enum CodingKeys: String, CodingKey {
        case scale, mean, standardDeviation = "std"
    }

    /// Whether it changes nothing.
    public var isIdentity: Bool { self == .identity }

    /// Checks that it fits samples whose first axis has `channels` entries.
    ///
    /// - Throws: ``DataError`` (`.invalidArgument`) for a scale or deviation that is not
    ///   positive, a value that is not finite, or lists of another length than 1 or `channels`.
    public func check(channels: Int) throws {
        guard scale > 0, scale.isFinite, standardDeviation.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw DataError(.invalidArgument, "data.normalize: the scale and every std must be positive numbers and every mean finite")
        }
        for (name, list) in [("mean", mean), ("std", standardDeviation)] where list.count != 1 && list.count != channels {
            throw DataError(.invalidArgument, "data.normalize.\(name) has \(list.count) values; give one, or one per channel (the samples have \(channels))")
        }
    }

    /// Per channel, the multiplier and shift that apply it, and how many consecutive values of a
    /// sample of `sampleSize` each channel covers (all of them when one mean and one deviation
    /// are given).
    func affine(channels: Int, sampleSize: Int) -> (run: Int, coefficients: [(scale: Float, shift: Float)]) {
        let perChannel = mean.count > 1 || standardDeviation.count > 1
        let count = perChannel ? channels : 1
        let coefficients = (0..<count).map { channel -> (Float, Float) in
            let average = mean[mean.count == 1 ? 0 : channel]
            let deviation = standardDeviation[standardDeviation.count == 1 ? 0 : channel]
            return (1 / (scale * deviation), -average / deviation)
        }
        return (sampleSize / count, coefficients)
    }

    /// `value/255` standardized by its own mean and deviation over `bytes` (what MNIST and the
    /// generated images use): sums of x and x² in 16-lane integer vectors (exact; 47 M MNIST
    /// pixels in a few milliseconds, which every worker of a run pays at startup).
    public static func statistics(of bytes: [UInt8]) -> Normalization {
        var sum: UInt64 = 0, squares: UInt64 = 0
        bytes.withUnsafeBytes { bytes in
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
        let total = Double(max(bytes.count, 1))
        let mean = Double(sum) / 255 / total
        let variance = max(Double(squares) / (255 * 255) / total - mean * mean, 1e-12)
        return Normalization(scale: 255, mean: [Float(mean)], standardDeviation: [Float(variance.squareRoot())])
    }

    /// In a phrase for people: "x/255, then (x − 0.1307)/0.3081".
    public var summary: String {
        if isIdentity { return "none (values as stored)" }
        func list(_ values: [Float]) -> String {
            values.count == 1 ? "\(values[0])" : "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
        }
        let scaled = scale == 1 ? "x" : "x/\(scale == scale.rounded() ? "\(Int(scale))" : "\(scale)")"
        if mean == [0] && standardDeviation == [1] { return scaled }
        return "\(scaled), then (x − \(list(mean)))/\(list(standardDeviation))"
    }
}
