import Foundation
import Testing
@testable import TesseraTensor

/// A round's close sums its updates in one pass split over the kernel's threads: the sum and
/// the distances must be exactly what adding the models one after the other and measuring each
/// on its own make, whatever the thread count (replay from a seed is bit for bit).
@Suite("A round's sum, measured")
struct TensorWeightedSumTests {
    /// Counts around the 8- and 32-value steps, the distance read ahead (1,024), and one and
    /// several of the chunks a distance is summed by (16,384), so that every loop and tail is used.
    static let counts = [1, 7, 33, 1095, 16_384, 16_384 + 31, 2 * 16_384 + 13, 5 * 16_384 + 40]

    /// What the pass must equal: the first scaled, the others added in order (a change's model
    /// made first), and each measured on its own.
    private func expected(_ sources: [Tensor], _ weights: [Float], _ isChange: [Bool], _ base: Tensor) throws -> (Tensor, [Double]) {
        let models = try zip(sources, isChange).map { source, isChange in isChange ? try base.adding(source) : source }
        var sum = models[0]
        sum.scale(by: weights[0])
        for (model, weight) in zip(models.dropFirst(), weights.dropFirst()) { try sum.add(model, scaledBy: weight) }
        let squared = try zip(sources, isChange).map { source, isChange in
            isChange ? source.squaredChangeSum() : try source.squaredDistance(to: base)
        }
        return (sum, squared)
    }

    /// Models, float32 changes and bfloat16 changes, alike ones side by side (paired) and
    /// unlike ones next to each other, on one thread and on three: the same bits as the
    /// one-by-one sum and measures.
    @Test(arguments: counts)
    func matchesAddingOneAfterTheOtherOnAnyThreadCount(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        func values(_ range: ClosedRange<Float>) -> Tensor { Tensor((0..<count).map { _ in Float.random(in: range, using: &generator) }) }
        let base = values(-1...1)
        // model, model, change, change, narrow change, narrow change, model, narrow change, change
        let kinds = [0, 0, 1, 1, 2, 2, 0, 2, 1]
        let sources = kinds.map { kind in kind == 0 ? values(-3...3) : kind == 1 ? values(-0.1...0.1) : values(-0.1...0.1).roundedToBFloat16() }
        let isChange = kinds.map { $0 != 0 }
        let weights = kinds.map { _ in Float.random(in: 0.001...1, using: &generator) }
        let (sum, squared) = try expected(sources, weights, isChange, base)
        for threads in [1, 3] {
            let measured = try ThreadPool.runningKernels(on: ThreadPool.sized(threads)) {
                try Tensor.weightedSum(sources, weights: weights, isChange: isChange, measuringFrom: base)
            }
            #expect(measured.sum.scalars == sum.scalars && measured.sum.shape == base.shape, "\(threads) threads")
            #expect(measured.squared == squared, "\(threads) threads")
        }
    }

    /// A single source is its scaled self; an odd count leaves the last one unpaired.
    @Test func oneSourceAndAnOddCount() throws {
        let base = Tensor((0..<100).map { Float($0) / 10 })
        let sources = (1...3).map { offset in Tensor((0..<100).map { Float($0 + offset) / 10 }) }
        for count in [1, 3] {
            let chosen = Array(sources.prefix(count)), weights = [Float](repeating: 0.5, count: count)
            let marks = [Bool](repeating: false, count: count)
            let (sum, squared) = try Tensor.weightedSum(chosen, weights: weights, isChange: marks, measuringFrom: base)
            let reference = try expected(chosen, weights, marks, base)
            #expect(sum.scalars == reference.0.scalars && squared == reference.1)
        }
    }

    /// An update that is not finite, or whose difference overflows a Float, is measured as
    /// `squaredDistance(to:)` measures it, and the one beside it as it is.
    @Test func extremeValuesAreMeasuredAsTheDistanceIs() throws {
        let count = 16_384 + 40
        let large = [Float](repeating: .greatestFiniteMagnitude, count: count)
        let ordinary = Tensor((0..<count).map { Float($0 % 97) / 8 })
        for (update, base) in [(large, large.map { -$0 }), (large.enumerated().map { $0.offset == 16_390 ? .nan : 1 }, large)] {
            for updateFirst in [true, false] {
                let sources = updateFirst ? [ordinary, Tensor(update), ordinary] : [ordinary, ordinary, Tensor(update)]
                let (_, squared) = try Tensor.weightedSum(sources, weights: [0.5, 0.25, 0.25], isChange: [false, false, false],
                                                          measuringFrom: Tensor(base))
                for (measured, source) in zip(squared, sources) {
                    let expected = try source.squaredDistance(to: Tensor(base))
                    #expect(measured == expected || (measured.isNaN && expected.isNaN))
                }
            }
        }
    }

    /// A received update is read where it arrived.
    @Test func aBorrowedUpdateIsReadInPlace() throws {
        let values: [Float] = (0..<41).map { Float($0) / 4 }
        let bytes = values.withUnsafeBytes { Data($0) }
        let borrowed = try bytes.withUnsafeBytes { raw in
            try Tensor(shape: [41], borrowing: try #require(BorrowedFloats(base: raw.baseAddress!, count: 41, owner: bytes)))
        }
        let base = Tensor([Float](repeating: 1, count: 41))
        let (sum, squared) = try Tensor.weightedSum([borrowed], weights: [2], isChange: [false], measuringFrom: base)
        #expect(sum.scalars == values.map { $0 * 2 })
        #expect(squared == [try Tensor(values).squaredDistance(to: base)])
    }

    @Test func shapesAndCountsMustMatch() {
        let base = Tensor([1, 2])
        #expect(throws: TensorError.self) { try Tensor.weightedSum([Tensor([1, 2, 3])], weights: [1], isChange: [false], measuringFrom: base) }
        #expect(throws: TensorError.self) { try Tensor.weightedSum([base, base], weights: [1], isChange: [false, false], measuringFrom: base) }
        #expect(throws: TensorError.self) { try Tensor.weightedSum([base], weights: [1], isChange: [], measuringFrom: base) }
        #expect(throws: TensorError.self) { try Tensor.weightedSum([], weights: [], isChange: [], measuringFrom: base) }
    }
}
