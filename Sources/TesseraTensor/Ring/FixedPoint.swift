/// Model values as elements of the ring of integers modulo 2^64: x is stored as
/// round(x · 2^fractionBits) in two's complement, so that the sum of encoded values decodes to
/// the sum of the values, each off by at most half of ``precision``, as long as the sum's
/// magnitude stays under ``bound``. What secure aggregation's masks are added to, and what
/// secret-shared tensors (``RingTensor``) hold.
public struct FixedPoint: Sendable, Equatable {
    /// Bits after the binary point.
    public let fractionBits: Int

    /// An encoding with `fractionBits` bits after the point (24: a precision of 6e-8 and sums
    /// up to 5e11).
    public init(fractionBits: Int = 24) {
        self.fractionBits = fractionBits
    }

    /// The encoding of model updates in secure aggregation, which workers and the scheduler share.
    public static let updates = FixedPoint()

    /// The encoding of secret-shared tensors: 16 fraction bits (a precision of 1.5e-5), so that
    /// a product, with 32 before its truncation, stays far from the ring's 63 bits of magnitude.
    public static let shares = FixedPoint(fractionBits: 16)

    /// The step between representable values.
    public var precision: Double { 1 / scale }

    /// The largest magnitude a value or a sum may have.
    public var bound: Double { Double(Int64.max) / scale / 2 }

    private var scale: Double { Double(UInt64(1) << UInt64(fractionBits)) }

    /// `values` encoded, each multiplied by `factor` first (a worker's sample count, for a
    /// weighted sum). O(n).
    ///
    /// - Throws: ``TensorError`` for a value that is not finite or too large.
    public func encode(_ values: [Float], times factor: Double = 1) throws -> [UInt64] {
        let scale = self.scale * factor, bound = self.bound
        return try values.map { value in
            let scaled = (Double(value) * scale).rounded()
            guard scaled.isFinite, abs(scaled) / self.scale <= bound else {
                throw TensorError.invalidArgument("fixed point", "the value \(value) × \(factor) cannot be encoded (at most \(bound) in magnitude)")
            }
            return UInt64(bitPattern: Int64(scaled))
        }
    }

    /// One value encoded (a count).
    public func encode(_ value: Double) -> UInt64 {
        UInt64(bitPattern: Int64((value * scale).rounded()))
    }

    /// `values` decoded. O(n).
    public func decode(_ values: [UInt64]) -> [Double] {
        values.map { Double(Int64(bitPattern: $0)) / scale }
    }
}
