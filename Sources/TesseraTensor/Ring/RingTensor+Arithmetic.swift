// Arithmetic modulo 2^64 on ring tensors of the same shape, and the fixed-point truncation that
// follows a product of two shared values.

extension RingTensor {
    /// Elementwise sum. O(n).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func adding(_ other: RingTensor) throws -> RingTensor {
        try combined(other, "add") { $0 &+ $1 }
    }

    /// Elementwise difference. O(n).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func subtracting(_ other: RingTensor) throws -> RingTensor {
        try combined(other, "subtract") { $0 &- $1 }
    }

    /// Elementwise product (of a share and a public value, or two public values; two shares
    /// multiply through a Beaver triple). O(n).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func multiplying(_ other: RingTensor) throws -> RingTensor {
        try combined(other, "multiply") { $0 &* $1 }
    }

    /// The additive inverse. O(n).
    public func negated() -> RingTensor {
        RingTensor(unchecked: elements.map { 0 &- $0 }, shape: shape)
    }

    /// The matrix product of `[m, k]` and `[k, n]` modulo 2^64. O(m × k × n).
    ///
    /// - Throws: ``TensorError`` when the operands are not matrices with matching inner sizes.
    public func matmul(_ other: RingTensor) throws -> RingTensor {
        guard let (m, k, n) = Self.matmulSizes(shape, other.shape) else {
            throw TensorError.shapeMismatch("ring matmul", shape, other.shape, "expected [m, k] and [k, n]")
        }
        var result = [UInt64](repeating: 0, count: m * n)
        elements.withUnsafeBufferPointer { a in
            other.elements.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                    // Rows of C accumulate scaled rows of B: contiguous inner loops over row
                    // pointers (no index arithmetic to check), so they vectorize; two rows of
                    // C at a time share each row of B read.
                    var i = 0
                    while i + 1 < m {
                        let (c0, c1) = (c + i * n, c + (i + 1) * n)
                        for p in 0..<k {
                            let (s0, s1) = (a[i * k + p], a[(i + 1) * k + p])
                            let row = b + p * n
                            for j in 0..<n {
                                let value = row[j]
                                c0[j] &+= s0 &* value
                                c1[j] &+= s1 &* value
                            }
                        }
                        i += 2
                    }
                    if i < m {
                        let c0 = c + i * n
                        for p in 0..<k {
                            let (s0, row) = (a[i * k + p], b + p * n)
                            for j in 0..<n { c0[j] &+= s0 &* row[j] }
                        }
                    }
                }
            }
        }
        return RingTensor(unchecked: result, shape: [m, n])
    }

    /// `[m, k]` and `[k, n]` as (m, k, n), or nil.
    static func matmulSizes(_ lhs: [Int], _ rhs: [Int]) -> (Int, Int, Int)? {
        guard lhs.count == 2, rhs.count == 2, lhs[1] == rhs[0] else { return nil }
        return (lhs[0], lhs[1], rhs[1])
    }

    /// Party `party`'s share of a product of two fixed-point values, brought back to `bits`
    /// fraction bits from twice as many: party 0 shifts its share right, party 1 shifts the
    /// negation of its share and negates back (SecureML's local truncation, Mohassel and Zhang
    /// 2017). The shares then add up to the product's truncation, off by at most 1 in the last
    /// place, except with probability about |x| / 2^63 for the product's ring value x; defined
    /// for two parties. O(n).
    ///
    /// - Throws: ``TensorError`` for a party other than 0 or 1, or bits outside 1...62.
    public func truncated(bits: Int, party: Int) throws -> RingTensor {
        guard party == 0 || party == 1, (1...62).contains(bits) else {
            throw TensorError.invalidArgument("truncate", "takes party 0 or 1 and 1 to 62 bits, not party \(party) and \(bits) bits")
        }
        let shift = UInt64(bits)
        return RingTensor(unchecked: elements.map { value in
            party == 0 ? UInt64(bitPattern: Int64(bitPattern: value) >> shift) : 0 &- UInt64(bitPattern: Int64(bitPattern: 0 &- value) >> shift)
        }, shape: shape)
    }

    private func combined(_ other: RingTensor, _ name: String, _ operation: (UInt64, UInt64) -> UInt64) throws -> RingTensor {
        guard shape == other.shape else { throw TensorError.shapeMismatch("ring \(name)", shape, other.shape, "ring tensors do not broadcast") }
        return RingTensor(unchecked: zip(elements, other.elements).map(operation), shape: shape)
    }
}
