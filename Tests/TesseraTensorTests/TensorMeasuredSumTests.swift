import Foundation
import Testing
@testable import TesseraTensor

/// Aggregation's one pass must give exactly what the two passes it replaces give: replay from
/// a seed is bit for bit.
@Suite("Adding while measuring")
struct TensorMeasuredSumTests {
    /// Counts around the 8- and 32-float steps, the distance read ahead (1,024 floats) and the
    /// parallel chunk, so every loop and tail is used.
    @Test(arguments: [0, 1, 7, 8, 31, 33, 47, 1003, 1056, 1063, 1095, 2 * 65_536 + 13])
    func matchesTheSumAndTheDistanceBitForBit(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        func values(_ range: ClosedRange<Float>) -> [Float] { (0..<count).map { _ in Float.random(in: range, using: &generator) } }
        let (update, base, sum) = (Tensor(values(-3...3)), Tensor(values(-1...1)), Tensor(values(-50...50)))
        let scale = Float.random(in: 0.001...1, using: &generator)

        var added = sum
        try added.add(update, scaledBy: scale)
        // Whole eights with one rounding (fused), the last fewer than eight with two.
        let whole = count - count % 8
        let (updates, sums) = (update.scalars, sum.scalars)
        #expect(added.scalars == (0..<count).map { $0 < whole ? sums[$0].addingProduct(scale, updates[$0]) : sums[$0] + scale * updates[$0] })
        var measured = sum
        let distance = try measured.add(update, scaledBy: scale, measuringDistanceTo: base)
        #expect(measured.scalars == added.scalars)
        #expect(distance == (try update.squaredDistance(to: base)))

        let (scaled, scaledDistance) = try update.scaled(by: scale, measuringDistanceTo: base)
        var plain = update
        plain.scale(by: scale)
        #expect(scaled.scalars == plain.scalars && scaled.shape == update.shape)
        #expect(scaledDistance == distance)
    }

    /// Two updates added in one pass make the sum and the distances that adding them one after
    /// the other makes, bit for bit, at every count around the loops and tails.
    @Test(arguments: [0, 1, 7, 8, 31, 33, 47, 1003, 1056, 1063, 1095, 2 * 65_536 + 13])
    func twoAtATimeMatchOneAfterTheOther(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        func values(_ range: ClosedRange<Float>) -> Tensor { Tensor((0..<count).map { _ in Float.random(in: range, using: &generator) }) }
        let (first, second, base, sum) = (values(-3...3), values(-3...3), values(-1...1), values(-50...50))
        let (firstScale, secondScale) = (Float.random(in: 0.001...1, using: &generator), Float.random(in: 0.001...1, using: &generator))
        var oneByOne = sum
        let firstDistance = try oneByOne.add(first, scaledBy: firstScale, measuringDistanceTo: base)
        let secondDistance = try oneByOne.add(second, scaledBy: secondScale, measuringDistanceTo: base)
        var together = sum
        let distances = try together.add(first, scaledBy: firstScale, second, scaledBy: secondScale, measuringDistancesTo: base)
        #expect(together.scalars == oneByOne.scalars)
        #expect(distances.0 == firstDistance && distances.1 == secondDistance)
    }

    /// Two at a time, an update that is not finite, or whose difference overflows a Float, is
    /// measured as `squaredDistance(to:)` measures it, and the other as it is.
    @Test func twoAtATimeMeasureExtremeValuesAsTheDistanceIs() throws {
        let large = [Float](repeating: .greatestFiniteMagnitude, count: 40)
        let ordinary = Tensor((0..<40).map { Float($0) / 8 })
        for (update, base) in [(large, large.map { -$0 }), (large.enumerated().map { $0.offset == 35 ? .nan : 1 }, large)] {
            for updateFirst in [true, false] {
                var sum = Tensor([Float](repeating: 0, count: 40))
                let (first, second) = updateFirst ? (Tensor(update), ordinary) : (ordinary, Tensor(update))
                let distances = try sum.add(first, scaledBy: 0.5, second, scaledBy: 0.25, measuringDistancesTo: Tensor(base))
                for (distance, tensor) in [(distances.0, first), (distances.1, second)] {
                    let expected = try tensor.squaredDistance(to: Tensor(base))
                    #expect(distance == expected || (distance.isNaN && expected.isNaN))
                }
            }
        }
    }

    /// An update that is not finite, or whose difference overflows a Float, is measured as
    /// `squaredDistance(to:)` measures it.
    @Test func extremeValuesAreMeasuredAsTheDistanceIs() throws {
        let large = [Float](repeating: .greatestFiniteMagnitude, count: 40)
        for (update, base) in [(large, large.map { -$0 }), (large.enumerated().map { $0.offset == 35 ? .nan : 1 }, large)] {
            var sum = Tensor([Float](repeating: 0, count: 40))
            let distance = try sum.add(Tensor(update), scaledBy: 0.5, measuringDistanceTo: Tensor(base))
            let expected = try Tensor(update).squaredDistance(to: Tensor(base))
            #expect(distance == expected || (distance.isNaN && expected.isNaN))
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
        let (scaled, distance) = try borrowed.scaled(by: 2, measuringDistanceTo: base)
        #expect(scaled.scalars == values.map { $0 * 2 })
        #expect(distance == (try Tensor(values).squaredDistance(to: base)))
    }

    @Test func shapesMustMatch() {
        var sum = Tensor([1, 2])
        #expect(throws: TensorError.self) { try sum.add(Tensor([1, 2, 3]), scaledBy: 1, measuringDistanceTo: Tensor([1, 2])) }
        #expect(throws: TensorError.self) { try sum.add(Tensor([1, 2]), scaledBy: 1, measuringDistanceTo: Tensor([1, 2, 3])) }
        #expect(throws: TensorError.self) { try Tensor([1, 2]).scaled(by: 1, measuringDistanceTo: Tensor([1])) }
        #expect(throws: TensorError.self) {
            try sum.add(Tensor([1, 2]), scaledBy: 1, Tensor([1, 2, 3]), scaledBy: 1, measuringDistancesTo: Tensor([1, 2]))
        }
    }
}
