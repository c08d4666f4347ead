import Foundation
import TesseraTensor

/// A generated stand-in for CIFAR-10's shape: 3×32×32 colour images of 10 classes, each class
/// stripes at its own orientation (a tenth of a half turn apart, jittered by up to a third of
/// that), in a tint, stripe width, phase, contrast and brightness drawn at random for every
/// image, under noise. Neither colour nor any one pixel tells the class: a network must learn
/// orientation. Fully determined by the seed.
public enum SyntheticColorImages {
    /// The shape of one image.
    public static let sampleShape = [3, 32, 32]

    /// A training set of `trainCount` and a test set of `testCount` images, balanced over the
    /// classes, normalized with the training statistics.
    ///
    /// - Throws: ``DataError`` for negative counts.
    public static func make(seed: UInt64, trainCount: Int = 6_000, testCount: Int = 1_000) throws -> (train: Dataset, test: Dataset) {
        guard trainCount >= 0, testCount >= 0 else { throw DataError(.invalidArgument, "synthetic image counts must be non-negative") }
        let train = try images(count: trainCount, seed: seed)
        var test = try images(count: testCount, seed: seed ^ 0xC01_0A5)
        test.normalization = train.normalization
        return (train, test)
    }

    /// `count` images with labels cycling through the classes.
    static func images(count: Int, seed: UInt64) throws -> Dataset {
        var generator = SeededGenerator(seed: seed)
        func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * generator.nextUnitFloat() }
        let tints: [(Float, Float, Float)] = [(1, 0.3, 0.3), (0.3, 1, 0.3), (0.3, 0.3, 1), (1, 1, 0.3), (0.3, 1, 1)]
        let plane = 32 * 32
        var pixels = [UInt8](repeating: 0, count: count * 3 * plane)
        var labels = [Int32](repeating: 0, count: count)
        for index in 0..<count {
            let label = index % 10
            labels[index] = Int32(label)
            let tint = tints[Int(generator.next() % UInt64(tints.count))]
            let angle = (Float(label) + uniform(-0.3, 0.3)) * Float.pi / 10
            let frequency = uniform(0.35, 0.7), phase = uniform(0, 2 * Float.pi)
            let contrast = uniform(0.4, 0.9), brightness = uniform(-0.1, 0.1)
            let (cosine, sine) = (Foundation.cos(angle), Foundation.sin(angle))
            for y in 0..<32 {
                for x in 0..<32 {
                    let stripe = 0.5 + 0.5 * Foundation.sin(frequency * (Float(x) * cosine + Float(y) * sine) + phase)
                    for (channel, weight) in [tint.0, tint.1, tint.2].enumerated() {
                        let value = 0.15 + brightness + contrast * stripe * weight + uniform(-0.15, 0.15)
                        pixels[(index * 3 + channel) * plane + y * 32 + x] = UInt8(min(max(value, 0), 1) * 255)
                    }
                }
            }
        }
        return try Dataset(bytes: pixels, labels: labels, sampleShape: sampleShape)
    }
}
