import Foundation
import TesseraTensor

/// A generated stand-in for MNIST: 28×28 grey digits 0–9 drawn as thick strokes (a
/// seven-segment skeleton plus diagonals) under random scale, rotation, shear, shift, stroke
/// width and noise. Classes are distinct enough for a CNN to reach high accuracy, and varied
/// enough that it must learn. Fully determined by the seed.
public enum SyntheticDigits {
    /// Stroke endpoints on a 0...1 box (x right, y down) for each digit.
    static let strokes: [[(Float, Float, Float, Float)]] = {
        let (l, r, t, m, b): (Float, Float, Float, Float, Float) = (0.2, 0.8, 0.1, 0.5, 0.9)
        let top = (l, t, r, t), middle = (l, m, r, m), bottom = (l, b, r, b)
        let upperLeft = (l, t, l, m), upperRight = (r, t, r, m), lowerLeft = (l, m, l, b), lowerRight = (r, m, r, b)
        return [
            [top, bottom, upperLeft, upperRight, lowerLeft, lowerRight],        // 0
            [(0.5, t, 0.5, b), (0.3, 0.25, 0.5, t)],                            // 1
            [top, upperRight, middle, lowerLeft, bottom],                       // 2
            [top, upperRight, middle, lowerRight, bottom],                      // 3
            [upperLeft, middle, upperRight, lowerRight],                        // 4
            [top, upperLeft, middle, lowerRight, bottom],                       // 5
            [top, upperLeft, lowerLeft, bottom, lowerRight, middle],            // 6
            [top, (r, t, 0.4, b)],                                              // 7
            [top, middle, bottom, upperLeft, upperRight, lowerLeft, lowerRight], // 8
            [top, upperLeft, upperRight, middle, lowerRight, bottom],           // 9
        ]
    }()

    /// A training set of `trainCount` and a test set of `testCount` images, balanced over the
    /// classes, normalized with the training statistics.
    public static func make(seed: UInt64, trainCount: Int = 12_000, testCount: Int = 2_000) throws -> (train: Dataset, test: Dataset) {
        guard trainCount >= 0, testCount >= 0 else {
            throw DataError(.invalidArgument, "synthetic digit counts must be non-negative")
        }
        let train = try images(count: trainCount, seed: seed)
        var test = try images(count: testCount, seed: seed ^ 0x5EED_7E57)
        test.normalization = train.normalization
        return (train, test)
    }

    /// `count` images with labels cycling through the classes.
    public static func images(count: Int, seed: UInt64) throws -> Dataset {
        var generator = SeededGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: count * 784)
        var labels = [Int32](repeating: 0, count: count)
        for index in 0..<count {
            let digit = index % 10
            labels[index] = Int32(digit)
            draw(digit, into: &pixels, at: index * 784, using: &generator)
        }
        return try Dataset(bytes: pixels, labels: labels, sampleShape: [1, 28, 28])
    }

    private static func draw(_ digit: Int, into pixels: inout [UInt8], at offset: Int, using generator: inout SeededGenerator) {
        func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * generator.nextUnitFloat() }
        let scale = uniform(14, 20), angle = uniform(-0.25, 0.25), shear = uniform(-0.2, 0.2)
        let centerX = 14 + uniform(-2.5, 2.5), centerY = 14 + uniform(-2.5, 2.5)
        let width = uniform(1.0, 2.2)
        let (cosine, sine) = (Foundation.cos(angle), Foundation.sin(angle))
        // Box coordinates (0...1) to pixel coordinates.
        func place(_ x: Float, _ y: Float) -> (Float, Float) {
            let (u, v) = ((x - 0.5 + shear * (y - 0.5)) * scale * 0.8, (y - 0.5) * scale)
            return (centerX + cosine * u - sine * v, centerY + sine * u + cosine * v)
        }
        let segments = strokes[digit].map { stroke -> (Float, Float, Float, Float) in
            let (x0, y0) = place(stroke.0 + uniform(-0.04, 0.04), stroke.1 + uniform(-0.04, 0.04))
            let (x1, y1) = place(stroke.2 + uniform(-0.04, 0.04), stroke.3 + uniform(-0.04, 0.04))
            return (x0, y0, x1, y1)
        }
        for row in 0..<28 {
            for column in 0..<28 {
                let (px, py) = (Float(column) + 0.5, Float(row) + 0.5)
                var distance = Float.infinity
                for (x0, y0, x1, y1) in segments {
                    let (dx, dy) = (x1 - x0, y1 - y0)
                    let length = dx * dx + dy * dy
                    let t = length > 0 ? min(max(((px - x0) * dx + (py - y0) * dy) / length, 0), 1) : 0
                    let (ex, ey) = (px - x0 - t * dx, py - y0 - t * dy)
                    distance = min(distance, (ex * ex + ey * ey).squareRoot())
                }
                let ink = min(max(width + 0.5 - distance, 0), 1)
                let noise = uniform(-0.08, 0.08)
                pixels[offset + row * 28 + column] = UInt8(min(max((ink + noise) * 255, 0), 255))
            }
        }
    }
}
