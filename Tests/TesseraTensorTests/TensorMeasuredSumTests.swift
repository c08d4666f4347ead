import Foundation
import Testing
@testable import TesseraTensor

/// Adding an update while measuring it must give exactly what the two passes it replaces
/// give: replay from a seed is bit for bit.
@Suite("Adding while measuring")
struct TensorMeasuredSumTests {
    /// Counts around the 8- and 32-float steps, the distance read ahead (1,024 floats), the
    /// distance's chunk (16,384) and the parallel chunk (65,536), so every loop and tail is used.
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

    @Test func shapesMustMatch() {
        var sum = Tensor([1, 2])
        #expect(throws: TensorError.self) { try sum.add(Tensor([1, 2, 3]), scaledBy: 1, measuringDistanceTo: Tensor([1, 2])) }
        #expect(throws: TensorError.self) { try sum.add(Tensor([1, 2]), scaledBy: 1, measuringDistanceTo: Tensor([1, 2, 3])) }
    }
}
