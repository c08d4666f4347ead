import Testing
import TesseraData

@Suite("Normalization")
struct NormalizationTests {
    @Test func perChannelMeanAndDeviationApplyToTheirPlanes() throws {
        // Two channels of 2 values: (x/255 − mean[c]) / std[c].
        let normalization = Normalization(scale: 255, mean: [0.5, 0], standardDeviation: [0.25, 2])
        let set = try Dataset(values: .bytes([255, 0, 51, 102]), labels: [0], sampleShape: [2, 2], classes: 1, normalization: normalization)
        let (inputs, _) = try set.batch([0])
        let expected: [Float] = [(1 - 0.5) / 0.25, (0 - 0.5) / 0.25, 0.2 / 2, 0.4 / 2]
        for (value, wanted) in zip(inputs.scalars, expected) { #expect(abs(value - wanted) < 1e-6) }
    }

    @Test func listsOfTheWrongLengthOrNonPositiveDeviationsAreRefused() throws {
        #expect(throws: DataError.self) { try Normalization(mean: [0, 0, 0]).check(channels: 2) }
        #expect(throws: DataError.self) { try Normalization(standardDeviation: [0]).check(channels: 1) }
        #expect(throws: DataError.self) { try Normalization(scale: -1).check(channels: 1) }
        try Normalization(mean: [0, 1], standardDeviation: [1]).check(channels: 2)
    }

    @Test func declaredPartsKeepTheSourcesScale() {
        let own = Normalization(scale: 255, mean: [0.13], standardDeviation: [0.31])
        #expect(DataOptions().normalization(over: own) == own)
        #expect(DataOptions(normalizeMean: [0.5], normalizeStd: [0.5]).normalization(over: own)
                == Normalization(scale: 255, mean: [0.5], standardDeviation: [0.5]))
        #expect(DataOptions(normalizeScale: 1).normalization(over: own) == .identity)
        #expect(Normalization(scale: 255, mean: [0.1307], standardDeviation: [0.3081]).summary == "x/255, then (x − 0.1307)/0.3081")
    }
}
