import Testing
@testable import TesseraTensor

/// Ring tensors: shares add up to what they share, arithmetic wraps modulo 2^64, and the
/// Beaver-triple product of two shared fixed-point values, truncated on each share, rebuilds
/// the plain product within the encoding's precision.
@Suite("Ring tensors")
struct RingTensorTests {
    var generator = SystemRandomNumberGenerator()
    let encoding = FixedPoint.shares

    func sum(_ shares: [RingTensor]) throws -> RingTensor {
        try shares.dropFirst().reduce(shares[0]) { try $0.adding($1) }
    }

    @Test mutating func sharesAddUpToTheValueAndEachLooksRandom() throws {
        let x = try Tensor([1.5, -2.25, 0, 1000], shape: [2, 2])
        let encoded = try RingTensor(encoding: x, encoding)
        let shares = try encoded.shares(3, using: &generator)
        #expect(try sum(shares) == encoded)
        #expect(try sum(shares).decoded(encoding).scalars == x.scalars)
        // A share alone says nothing: it is not the encoding, and two sharings differ.
        #expect(shares.allSatisfy { $0 != encoded })
        #expect(try encoded.shares(2, using: &generator)[0] != encoded.shares(2, using: &generator)[0])
        #expect(throws: TensorError.self) { try encoded.shares(1, using: &generator) }
    }

    @Test func fixedPointSumsDecodeToTheWeightedSum() throws {
        let encoding = FixedPoint()
        let a: [Float] = [0.5, -1.25, 3.0001], b: [Float] = [-0.75, 2, 1e-3]
        let sum = zip(try encoding.encode(a, times: 100), try encoding.encode(b, times: 300)).map { $0 &+ $1 }
        for (value, expected) in zip(encoding.decode(sum), zip(a, b).map { Double($0) * 100 + Double($1) * 300 }) {
            #expect(abs(value - expected) <= encoding.precision, "\(value) vs \(expected)")
        }
        #expect(throws: TensorError.self) { try encoding.encode([.infinity]) }
        #expect(throws: TensorError.self) { try encoding.encode([1e30]) }
    }

    @Test func arithmeticWrapsModulo2To64() throws {
        let a = try RingTensor([UInt64.max, 2, 3], shape: [3])
        let b = try RingTensor([1, 5, UInt64.max], shape: [3])
        #expect(try a.adding(b).elements == [0, 7, 2])
        #expect(try a.subtracting(b).elements == [UInt64.max - 1, UInt64.max - 2, 4])
        #expect(try a.multiplying(b).elements == [UInt64.max, 10, UInt64.max - 2])
        #expect(a.negated().elements == [1, UInt64.max - 1, UInt64.max - 2])
        #expect(throws: TensorError.self) { try a.adding(RingTensor([1], shape: [1])) }
        #expect(throws: TensorError.self) { try RingTensor([1, 2], shape: [3]) }
    }

    @Test func matmulMatchesIntegerArithmetic() throws {
        let a = try RingTensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = try RingTensor([7, 8, 9, 10, 11, UInt64.max], shape: [3, 2])
        // [[1·7 + 2·9 + 3·11, 1·8 + 2·10 + 3·(−1)], [4·7 + 5·9 + 6·11, 4·8 + 5·10 + 6·(−1)]]
        #expect(try a.matmul(b).elements == [58, 25, 139, 76] && a.matmul(b).shape == [2, 2])
        #expect(throws: TensorError.self) { try a.matmul(a) }
        // Odd row counts and wrapping products against the definition.
        var generator = SystemRandomNumberGenerator()
        for (m, k, n) in [(3, 4, 5), (1, 7, 2), (5, 1, 3)] {
            let (x, y) = (try RingTensor.random(shape: [m, k], using: &generator), try RingTensor.random(shape: [k, n], using: &generator))
            let expected = (0..<m).flatMap { i in (0..<n).map { j in (0..<k).reduce(UInt64(0)) { $0 &+ x.elements[i * k + $1] &* y.elements[$1 * n + j] } } }
            #expect(try x.matmul(y).elements == expected, "\(m)x\(k) by \(k)x\(n)")
        }
    }

    @Test mutating func truncatedSharesOfAProductRebuildItsTruncation() throws {
        for value in [3.75, -3.75, 0.001, -1234.5] {
            // value × 1.0 in fixed point has twice the fraction bits.
            let product = try RingTensor(encoding: Tensor([Float(value)], shape: [1]), encoding)
                .multiplying(RingTensor(encoding: Tensor([1], shape: [1]), encoding))
            let shares = try product.shares(2, using: &generator)
            let truncated = try sum([try shares[0].truncated(bits: 16, party: 0), try shares[1].truncated(bits: 16, party: 1)])
            #expect(abs(Double(truncated.decoded(encoding).scalars[0]) - value) <= 2 * encoding.precision, "\(value)")
        }
        #expect(throws: TensorError.self) { try product().truncated(bits: 16, party: 2) }
    }

    func product() throws -> RingTensor { try RingTensor([1], shape: [1]) }

    /// The whole Beaver protocol for an elementwise product and a matrix product, in memory.
    @Test(arguments: [false, true])
    mutating func aBeaverTripleMultipliesSharedValues(matrix: Bool) throws {
        let x = try Tensor([0.5, -1.25, 2, 3.5, -0.75, 1], shape: [2, 3])
        let y = matrix ? try Tensor([1, -2, 0.25, 0.5, -1, 4], shape: [3, 2]) : try Tensor([2, 2, -0.5, 1.5, 3, -1], shape: [2, 3])
        let op: (RingTensor, RingTensor) throws -> RingTensor = matrix ? { try $0.matmul($1) } : { try $0.multiplying($1) }
        let xs = try RingTensor(encoding: x, encoding).shares(2, using: &generator)
        let ys = try RingTensor(encoding: y, encoding).shares(2, using: &generator)
        // The crypto provider's triple c = a ∘ b, shared.
        let a = try RingTensor.random(shape: x.shape, using: &generator), b = try RingTensor.random(shape: y.shape, using: &generator)
        let (as_, bs, cs) = (try a.shares(2, using: &generator), try b.shares(2, using: &generator), try op(a, b).shares(2, using: &generator))
        // Opened: e = x − a and f = y − b, uniformly random to whoever sees them.
        let e = try xs[0].subtracting(as_[0]).adding(xs[1].subtracting(as_[1]))
        let f = try ys[0].subtracting(bs[0]).adding(ys[1].subtracting(bs[1]))
        let zs = try (0..<2).map { party in
            var z = try cs[party].adding(op(e, bs[party])).adding(op(as_[party], f))
            if party == 0 { z = try z.adding(op(e, f)) }
            return try z.truncated(bits: encoding.fractionBits, party: party)
        }
        let expected = try matrix ? x.matmul(y) : x * y
        let got = try sum(zs).decoded(encoding)
        #expect(got.shape == expected.shape)
        for (value, wanted) in zip(got.scalars, expected.scalars) { #expect(abs(value - wanted) < 1e-3, "\(value) vs \(wanted)") }
    }
}
