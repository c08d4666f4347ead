import Testing
import TesseraData

@Suite("Datasets")
struct DatasetTests {
    @Test("normalization statistics match a direct computation", arguments: [0, 1, 15, 16, 17, 70_001])
    func statisticsMatchDirectComputation(count: Int) {
        var state: UInt32 = 12_345
        let pixels = (0..<count).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        let values = pixels.map { Double($0) / 255 }
        let mean = values.reduce(0, +) / Double(max(count, 1))
        let variance = values.reduce(0) { $0 + $1 * $1 } / Double(max(count, 1)) - mean * mean
        let statistics = Normalization.statistics(of: pixels)
        let (computedMean, deviation) = (statistics.mean[0], statistics.standardDeviation[0])
        #expect(abs(Double(computedMean) - mean) < 1e-6)
        #expect(abs(Double(deviation) - max(variance, 1e-12).squareRoot()) < 1e-5)
    }

    @Test("saturated pixels do not overflow the sums")
    func saturatedPixels() {
        let statistics = Normalization.statistics(of: [UInt8](repeating: 255, count: 16 * 5_000 + 3))
        let (mean, deviation) = (statistics.mean[0], statistics.standardDeviation[0])
        #expect(abs(mean - 1) < 1e-6)
        #expect(deviation < 1e-3)
    }
}
