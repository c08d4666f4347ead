import Foundation
import Testing
@testable import TesseraTensor

/// A change's norm, float32 or bfloat16: close to the exact one, finite exactly when the change
/// is. (That a change sums as the model it makes is ``TensorWeightedSumTests``'.)
@Suite("Measuring a change")
struct TensorMeasuredChangeTests {
    /// A change's norm is the exact sum of its squares within the stated bound, float32 or
    /// bfloat16, at counts around the 8- and 32-value steps and the chunks it is summed by.
    @Test(arguments: [0, 1, 7, 33, 1095, 16_384 + 31, 2 * 65_536 + 13])
    func theNormIsCloseToTheExactOne(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<count).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
        for change in [Tensor(values), Tensor(values).roundedToBFloat16()] {
            let exact = change.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(change.squaredChangeSum() - exact) <= exact * 1e-5)
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
}
