import Testing
@testable import TesseraTensor

@Suite("bfloat16")
struct BFloat16Tests {
    /// Values with the bfloat16 each must round to (nearest, ties to even).
    static let cases: [(Float, UInt16)] = [
        (1, 0x3F80), (-2, 0xC000), (0, 0x0000), (-0.0, 0x8000),
        (Float(bitPattern: 0x3F80_8000), 0x3F80),  // halfway, even below: down
        (Float(bitPattern: 0x3F81_8000), 0x3F82),  // halfway, odd below: up
        (Float(bitPattern: 0x3F80_8001), 0x3F81),  // just past halfway: up
        (Float(bitPattern: 0x3F80_7FFF), 0x3F80),  // just short of it: down
        (.infinity, 0x7F80), (-.infinity, 0xFF80),
        (.greatestFiniteMagnitude, 0x7F80),        // beyond bfloat16's largest: infinite
        (Float(bitPattern: 0x0000_0001), 0x0000),  // the smallest subnormal: zero
    ]

    @Test func roundsToTheNearestTiesToEven() {
        for (value, bits) in Self.cases {
            #expect(BFloat16.narrow(value) == bits, "\(value) (\(String(value.bitPattern, radix: 16)))")
        }
    }

    @Test func aNaNStaysANaNWhateverItsPayload() {
        for bits: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0x7FFF_FFFF, 0xFF80_0001] {
            #expect(BFloat16.widen(BFloat16.narrow(Float(bitPattern: bits))).isNaN, "\(String(bits, radix: 16))")
        }
    }

    @Test func widensExactly() {
        for bits: UInt16 in [0x3F80, 0xC000, 0x0001, 0x7F7F, 0x8000] {
            #expect(BFloat16.narrow(BFloat16.widen(bits)) == bits)
        }
    }

    /// The eight-at-a-time loops agree with the one-at-a-time functions, tail included.
    @Test func arraysRoundAsEachValueDoes() {
        var values = (0..<45).map { Float($0) * 0.3719 - 7.1 }
        values += Self.cases.map(\.0) + [.nan]
        var narrow = [UInt16](repeating: 0, count: values.count)
        var wide = [Float](repeating: 0, count: values.count)
        BFloat16.narrow(values, count: values.count, into: &narrow)
        BFloat16.widen(narrow, count: narrow.count, into: &wide)
        for index in values.indices {
            #expect(narrow[index] == BFloat16.narrow(values[index]), "\(values[index])")
            #expect(wide[index].bitPattern == BFloat16.widen(narrow[index]).bitPattern)
        }
    }

    /// A change taken and rounded in one pass is the rounded difference, tail included.
    @Test func aChangeIsTheRoundedDifference() throws {
        let (model, base) = (try Tensor.uniform([5, 13], low: -4, high: 4, seed: 3), try Tensor.uniform([5, 13], low: -4, high: 4, seed: 4))
        let change = try model.bfloat16Change(from: base)
        #expect(change.isBFloat16 && change.shape == model.shape)
        #expect(change.scalars == (try model.subtracting(base)).roundedToBFloat16().scalars)
        #expect(throws: TensorError.self) { try model.bfloat16Change(from: Tensor([1, 2])) }
    }

    @Test func aRoundedTensorReadsItsRoundedValuesAndChangesIntoItsOwn() throws {
        let tensor = try Tensor.uniform([3, 37], low: -4, high: 4, seed: 11)
        var rounded = tensor.roundedToBFloat16()
        #expect(rounded.isBFloat16 && !tensor.isBFloat16)
        #expect(rounded.shape == tensor.shape)
        #expect(rounded.scalars == tensor.scalars.map { BFloat16.widen(BFloat16.narrow($0)) })
        let copy = rounded
        rounded.scale(by: 2)
        #expect(!rounded.isBFloat16 && copy.isBFloat16)
        #expect(rounded.scalars == copy.scalars.map { $0 * 2 })
        // Each value within 2⁻⁸ of the original, relatively.
        for (original, value) in zip(tensor.scalars, copy.scalars) {
            #expect(abs(value - original) <= abs(original) / 256)
        }
    }
}
