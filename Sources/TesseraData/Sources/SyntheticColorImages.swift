import Foundation
import TesseraTensor

/// A generated stand-in for CIFAR-10's shape: 3×32×32 colour images of 10 classes, each class a
/// striped pattern of its own tint (five tints, each shared by two classes) and orientation
/// (the two classes of a tint differ by a quarter turn), under random phase, stripe width,
/// contrast, brightness and noise. A small convolutional network tells them apart within a few
/// rounds; neither the tint nor a pixel alone does. Fully determined by the seed.
public enum SyntheticColorImages {
    /// The shape of one image.
    public static let sampleShape = [3, 32, 32]

    /// A training set of `trainCount` and a test set of `testCount` images, balanced over the
    /// classes, normalized with the training statistics.
    ///
    /// - Throws: ``DataError`` for negative counts.
    public static func make(seed: UInt64, trainCount: Int = 6_000, testCount: Int = 1_000) throws -> (train: ImageDataset, test: ImageDataset) {
        guard trainCount >= 0, testCount >= 0 else { throw DataError(.invalidArgument, "synthetic image counts must be non-negative") }
        let train = try images(count: trainCount, seed: seed)
        var test = try images(count: testCount, seed: seed ^ 0xC01_0A5)
        test.normalization = train.normalization
        return (train, test)
    }

    /// `count` images with labels cycling through the classes.
    static func images(count: Int, seed: UInt64) throws -> ImageDataset {
        var generator = SeededGenerator(seed: seed)
        func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * generator.nextUnitFloat() }
        let tints: [(Float, Float, Float)] = [(1, 0.3, 0.3), (0.3, 1, 0.3), (0.3, 0.3, 1), (1, 1, 0.3), (0.3, 1, 1)]
        let plane = 32 * 32
        var pixels = [UInt8](repeating: 0, count: count * 3 * plane)
        var labels = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            let label = index % 10
            labels[index] = UInt8(label)
            let tint = tints[label / 2]
            let angle = Float(label % 2) * Float.pi / 2 + Float(label / 2) * 0.3 + uniform(-0.15, 0.15)
            let frequency = uniform(0.35, 0.6), phase = uniform(0, 2 * Float.pi)
            let contrast = uniform(0.5, 0.9), brightness = uniform(-0.1, 0.1)
            let (cosine, sine) = (Foundation.cos(angle), Foundation.sin(angle))
            for y in 0..<32 {
                for x in 0..<32 {
                    let stripe = 0.5 + 0.5 * Foundation.sin(frequency * (Float(x) * cosine + Float(y) * sine) + phase)
                    for (channel, weight) in [tint.0, tint.1, tint.2].enumerated() {
                        let value = 0.15 + brightness + contrast * stripe * weight + uniform(-0.1, 0.1)
                        pixels[(index * 3 + channel) * plane + y * 32 + x] = UInt8(min(max(value, 0), 1) * 255)
                    }
                }
            }
        }
        return try ImageDataset(values: pixels, labels: labels, sampleShape: sampleShape)
    }
}
