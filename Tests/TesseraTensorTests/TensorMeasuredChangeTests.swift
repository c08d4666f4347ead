import Foundation
import Testing
@testable import TesseraTensor

/// A change added over its base must make exactly what adding the model `base + change` makes,
/// however the change came (float32 or bfloat16): the average must not depend on it.
@Suite("Adding a change while measuring it")
struct TensorMeasuredChangeTests {
    /// Counts around the 8- and 32-value steps and the distance read ahead.
    @Test(arguments: [0, 1, 7, 8, 31, 33, 47, 1003, 1056, 1063, 1095, 2 * 65_536 + 13])
    func matchesAddingTheModelBitForBit(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        func values(_ range: ClosedRange<Float>) -> [Float] { (0..<count).map { _ in Float.random(in: range, using: &generator) } }
        let (base, sum) = (Tensor(values(-1...1)), Tensor(values(-50...50)))
        let scale = Float.random(in: 0.001...1, using: &generator)
        for change in [Tensor(values(-0.1...0.1)), Tensor(values(-0.1...0.1)).roundedToBFloat16()] {
            let model = try base.adding(change)
            var expected = sum
            try expected.add(model, scaledBy: scale)
            var added = sum
            let squared = try added.add(change: change, over: base, scaledBy: scale)
            #expect(added.scalars == expected.scalars)
            #expect(squared == change.squaredChangeSum())
            let exact = change.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(squared - exact) <= exact * 1e-5)

            let (scaled, scaledSquared) = try change.scaledModel(over: base, by: scale)
            var plain = model
            plain.scale(by: scale)
            #expect(scaled.scalars == plain.scalars && scaled.shape == change.shape)
            #expect(scaledSquared == squared)
        }
    }

    /// Two changes added in one pass make the sum and the norms that adding them one after
    /// the other makes, bit for bit, float32 or bfloat16.
    @Test(arguments: [0, 1, 7, 8, 31, 33, 47, 1003, 1056, 1063, 1095, 2 * 65_536 + 13])
    func twoAtATimeMatchOneAfterTheOther(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        func values(_ range: ClosedRange<Float>) -> [Float] { (0..<count).map { _ in Float.random(in: range, using: &generator) } }
        let (base, sum) = (Tensor(values(-1...1)), Tensor(values(-50...50)))
        let (firstScale, secondScale) = (Float.random(in: 0.001...1, using: &generator), Float.random(in: 0.001...1, using: &generator))
        for narrow in [false, true] {
            let (first, second) = (Tensor(values(-0.1...0.1)), Tensor(values(-0.1...0.1)))
            let (one, two) = narrow ? (first.roundedToBFloat16(), second.roundedToBFloat16()) : (first, second)
            var sequential = sum
            let firstNorm = try sequential.add(change: one, over: base, scaledBy: firstScale)
            let secondNorm = try sequential.add(change: two, over: base, scaledBy: secondScale)
            var paired = sum
            let norms = try paired.add(change: one, scaledBy: firstScale, change: two, scaledBy: secondScale, over: base)
            #expect(paired.scalars == sequential.scalars)
            #expect(norms.0 == firstNorm && norms.1 == secondNorm)
        }
    }

    /// A change whose squares overflow a Float is measured again in Double: finite; one
    /// holding an infinity or a NaN is not.
    @Test func hugeChangesAreMeasuredExactlyAndBadOnesAreNotFinite() throws {
        let huge = Tensor([Float](repeating: 1e30, count: 40))
        let value = Double(Float(1e30))
        #expect(abs(huge.squaredChangeSum() / (40 * value * value) - 1) < 1e-12)
        #expect(huge.roundedToBFloat16().squaredChangeSum().isFinite)
        for bad in [Float.infinity, .nan] {
            var values = [Float](repeating: 0.5, count: 40)
            values[37] = bad
            #expect(!Tensor(values).squaredChangeSum().isFinite)
            #expect(!Tensor(values).roundedToBFloat16().squaredChangeSum().isFinite)
        }
    }

    @Test func differentShapesAreAnError() throws {
        var sum = Tensor([Float](repeating: 0, count: 4))
        #expect(throws: TensorError.self) { try sum.add(change: Tensor([1, 2, 3]), over: Tensor([1, 2, 3, 4]), scaledBy: 1) }
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3]).scaledModel(over: Tensor([1, 2]), by: 1) }
    }
}
