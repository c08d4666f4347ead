import Foundation
import Testing
@testable import TesseraTensor

@Suite("Sums of squares")
struct TensorNormsTests {
    /// Counts around the 16-float step, so both the vector loop and the tail are used.
    @Test(arguments: [0, 1, 15, 16, 17, 37, 1000])
    func matchTheSumElementByElement(count: Int) throws {
        let x = (0..<count).map { Float($0 % 7) - 3.25 }
        let y = (0..<count).map { Float($0 % 5) * 0.5 }
        let expected = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        let distance = zip(x, y).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        #expect(abs(Tensor(x).squaredSum() - expected) <= 1e-9 * max(1, expected))
        #expect(abs(try Tensor(x).squaredDistance(to: Tensor(y)) - distance) <= 1e-9 * max(1, distance))
    }

    @Test(arguments: [0, 1, 7, 8, 9, 40, 43])
    func aTensorIsFiniteUnlessAnElementIsNot(count: Int) throws {
        #expect(Tensor([Float](repeating: .greatestFiniteMagnitude, count: count)).isFinite)
        for bad: Float in [.nan, .infinity, -.infinity] {
            for position in Set([0, count / 2, count - 1]) where position >= 0 && position < count {
                var values = [Float](repeating: 1, count: count)
                values[position] = bad
                #expect(!Tensor(values).isFinite, "\(bad) at \(position) of \(count)")
            }
        }
    }

    @Test func aValueThatIsNotFiniteMakesTheSumNotFinite() throws {
        for bad: Float in [.nan, .infinity, -.infinity] {
            var values = [Float](repeating: 1, count: 40)
            for position in [3, 20, 39] {
                values[position] = bad
                #expect(!Tensor(values).squaredSum().isFinite)
                #expect(!(try Tensor([Float](repeating: 0, count: 40)).squaredDistance(to: Tensor(values))).isFinite)
                values[position] = 1
            }
        }
        // The largest floats still sum to a finite Double.
        #expect(Tensor([Float](repeating: .greatestFiniteMagnitude, count: 64)).squaredSum().isFinite)
    }

    /// A difference of two finite Floats that overflows a Float is still measured, exactly.
    @Test func aDifferenceBeyondTheLargestFloatIsFinite() throws {
        let large = [Float](repeating: .greatestFiniteMagnitude, count: 40)
        let distance = try Tensor(large).squaredDistance(to: Tensor(large.map { -$0 }))
        let expected = 40 * (2 * Double(Float.greatestFiniteMagnitude)) * (2 * Double(Float.greatestFiniteMagnitude))
        #expect(distance.isFinite)
        #expect(abs(distance - expected) <= 1e-12 * expected)
    }

    /// A square beyond the largest Float (of a difference within it) is measured again in Double.
    @Test func aSquareBeyondTheLargestFloatIsFinite() throws {
        let large = [Float](repeating: 1e20, count: 40)
        let distance = try Tensor(large).squaredDistance(to: Tensor([Float](repeating: 0, count: 40)))
        let expected = 40 * Double(Float(1e20)) * Double(Float(1e20))
        #expect(distance.isFinite)
        #expect(abs(distance - expected) <= 1e-12 * expected)
    }

    /// Differences taken in Float are within a relative 2⁻²⁴ each, and their squares are summed in
    /// Float sixteen at a time, so the distance is within about 2⁻¹⁹ of the exact one.
    @Test func aDistanceIsWithinAFloatsPrecisionOfTheExactOne() throws {
        var generator = SystemRandomNumberGenerator()
        let x = (0..<1003).map { _ in Float.random(in: -3...3, using: &generator) }
        let y = (0..<1003).map { _ in Float.random(in: -1e-3...1e-3, using: &generator) }
        let exact = zip(x, y).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        let distance = try Tensor(x).squaredDistance(to: Tensor(y))
        #expect(abs(distance - exact) <= 0x1p-19 * exact)
    }

    @Test func borrowedFloatsAreReadInPlace() throws {
        let values: [Float] = (0..<33).map { Float($0) / 4 }
        let bytes = values.withUnsafeBytes { Data($0) }
        let tensor = try bytes.withUnsafeBytes { raw in
            try Tensor(shape: [33], borrowing: try #require(BorrowedFloats(base: raw.baseAddress!, count: 33, owner: bytes)))
        }
        #expect(tensor.squaredSum() == Tensor(values).squaredSum())
        #expect(try tensor.squaredDistance(to: Tensor(values)) == 0)
    }

    /// A change to a tensor still reading a message's floats (a trainer's first step on the
    /// model it was sent) goes to an array of its own: the message, and a copy reading it, keep
    /// the values they had.
    @Test func changingBorrowedFloatsLeavesTheMessageAsItWas() throws {
        let values: [Float] = (0..<33).map { Float($0) / 4 }
        let bytes = values.withUnsafeBytes { Data($0) }
        var tensor = try bytes.withUnsafeBytes { raw in
            try Tensor(shape: [33], borrowing: try #require(BorrowedFloats(base: raw.baseAddress!, count: 33, owner: bytes)))
        }
        let sharing = tensor.detached()
        #expect(sharing.borrowed != nil, "detaching shares the message's floats")
        // Whether or not a reader made the shared copy first (which the change then takes).
        for readFirst in [false, true] {
            var changed = sharing
            if readFirst { #expect(sharing.scalars == values) }
            try changed.add(Tensor([Float](repeating: 1, count: 33)), scaledBy: 2)
            #expect(changed.borrowed == nil)
            #expect(changed.scalars == values.map { $0 + 2 })
            #expect(sharing.scalars == values && sharing.borrowed != nil)
        }
        var replaced = sharing
        try replaced.replaceScalars([Float](repeating: 7, count: 33))
        #expect(replaced.scalars == [Float](repeating: 7, count: 33) && replaced.borrowed == nil)
        #expect(sharing.scalars == values)
        try tensor.add(Tensor([Float](repeating: 1, count: 33)), scaledBy: -1)
        #expect(tensor.scalars == values.map { $0 - 1 })
        #expect(bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == values)
    }

    @Test func shapesMustMatch() {
        #expect(throws: TensorError.self) { try Tensor([1, 2]).squaredDistance(to: Tensor([1, 2, 3])) }
    }
}
