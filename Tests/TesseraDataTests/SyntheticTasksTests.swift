import Testing
import TesseraTensor
@testable import TesseraData

/// The generated data for the literature models: colour images for a ResNet, text for a
/// character LSTM.
@Suite("Synthetic images and text")
struct SyntheticTasksTests {
    /// 3×32×32 images of 10 balanced classes, normalized batches of that shape, the same for
    /// the same seed and not for another.
    @Test func colourImagesHaveTheirShapeAndClasses() throws {
        let (train, test) = try SyntheticColorImages.make(seed: 4, trainCount: 200, testCount: 50)
        #expect(train.sampleShape == [3, 32, 32] && train.count == 200 && test.count == 50 && !train.normalization.isIdentity)
        #expect(train.labelHistogram() == [Int](repeating: 20, count: 10))
        let (inputs, labels) = try train.batch(0..<4)
        #expect(inputs.shape == [4, 3, 32, 32] && labels.scalars == [0, 1, 2, 3])
        #expect(abs(try train.batch(0..<200).inputs.mean().scalar ?? 1) < 1e-3)
        #expect(try SyntheticColorImages.make(seed: 4, trainCount: 10, testCount: 0).train.values == (try SyntheticColorImages.make(seed: 4, trainCount: 10, testCount: 0).train.values))
        #expect(try SyntheticColorImages.make(seed: 5, trainCount: 10, testCount: 0).train.values != train.subset(Array(0..<10)).values)
    }

    /// Sequences of 80 token indices below 80, passed as they are; each label the next
    /// character, which follows the last one's favourite successor about 60 % of the time in
    /// training and test sets alike (one language).
    @Test func textIsSequencesWithTheNextCharacter() throws {
        let (train, test) = try SyntheticText.make(seed: 4, trainCount: 2_000, testCount: 500)
        #expect(train.sampleShape == [80] && train.normalization.isIdentity && train.classes == 80)
        let (inputs, _) = try train.batch(0..<3)
        #expect(inputs.shape == [3, 80] && inputs.scalars.allSatisfy { $0 >= 0 && $0 < 80 && $0 == $0.rounded() })
        #expect(inputs.scalars.map { UInt8($0) } == Array(train.storedBytes[0..<240]))
        // The most frequent successor of each character in training predicts the test labels.
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 80), count: 80)
        for index in 0..<train.count {
            for position in 0..<79 { counts[Int(train.storedBytes[index * 80 + position])][Int(train.storedBytes[index * 80 + position + 1])] += 1 }
        }
        let favourite = counts.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let hits = (0..<test.count).filter { favourite[Int(test.storedBytes[$0 * 80 + 79])] == Int(test.labels[$0]) }.count
        let rate = Double(hits) / Double(test.count)
        #expect(rate > 0.5 && rate < 0.7, "\(rate)")
    }

    @Test func theyAreNamedDataSources() throws {
        #expect(try DataSource.locate(explicit: "synthetic-images") == .syntheticImages)
        #expect(try DataSource.locate(explicit: "synthetic-text") == .syntheticText)
        #expect { try DataSource.locate(explicit: "synthetic-txt") } throws: { "\($0)".contains("synthetic-images or synthetic-text") }
    }
}
