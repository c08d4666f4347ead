/// Shamir's secret sharing of byte strings over the prime field of p = 2^61 - 1: a secret is
/// cut into 7-byte pieces, each the constant term of a random polynomial of degree
/// threshold - 1; party i gets the polynomials' values at x = i. Any `threshold` shares
/// rebuild the secret by Lagrange interpolation at 0; fewer say nothing about it.
///
/// Written here because no maintained Swift package offers it (swift-crypto has no secret
/// sharing); it is arithmetic on a prime field, with its randomness from the system's secure
/// generator.
public enum ShamirSharing {
    /// One party's share: its x and the polynomials' values there.
    public struct Share: Sendable, Equatable, Codable {
        /// The party's point, 1 or more.
        public var x: UInt64
        /// One value per 7-byte piece of the secret.
        public var values: [UInt64]
        /// The secret's length in bytes.
        public var length: Int

        /// A share at `x` of a secret of `length` bytes.
        public init(x: UInt64, values: [UInt64], length: Int) {
            (self.x, self.values, self.length) = (x, values, length)
        }
    }

    static let prime: UInt64 = (1 << 61) - 1
    static let pieceBytes = 7

    /// Shares of `secret` for parties 1...`parties`, any `threshold` of which rebuild it.
    ///
    /// - Throws: ``SecureAggregationError`` unless 1 ≤ threshold ≤ parties.
    public static func split(_ secret: [UInt8], threshold: Int, parties: Int) throws -> [Share] {
        guard threshold >= 1 && threshold <= parties else {
            throw SecureAggregationError("a threshold of \(threshold) for \(parties) parties; it must be between 1 and their number")
        }
        var random = SystemRandomNumberGenerator()
        let pieces = stride(from: 0, to: secret.count, by: pieceBytes).map { start in
            secret[start..<min(start + pieceBytes, secret.count)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        // coefficients[piece] = [secret piece, random, random, ...]
        let coefficients = pieces.map { piece in [piece] + (1..<threshold).map { _ in uniform(&random) } }
        return (1...parties).map { party in
            let x = UInt64(party)
            return Share(x: x, values: coefficients.map { evaluate($0, at: x) }, length: secret.count)
        }
    }

    /// The secret that `shares` (at least the threshold's number, of distinct parties) rebuild.
    ///
    /// - Throws: ``SecureAggregationError`` for no shares, mismatched shares, or repeated parties.
    public static func combine(_ shares: [Share]) throws -> [UInt8] {
        guard let first = shares.first else { throw SecureAggregationError("no shares to rebuild a secret from") }
        guard shares.allSatisfy({ $0.values.count == first.values.count && $0.length == first.length && $0.x > 0 && $0.x < prime }),
              Set(shares.map(\.x)).count == shares.count else {
            throw SecureAggregationError("shares of different secrets, or of the same party twice")
        }
        // What a lying party could send: a length that does not fit the pieces, values outside the field.
        guard first.length >= 0, first.values.count == (first.length + pieceBytes - 1) / pieceBytes,
              shares.allSatisfy({ $0.values.allSatisfy { $0 < prime } }) else {
            throw SecureAggregationError("shares whose length or values are not those of a secret shared over the field")
        }
        var bytes: [UInt8] = []
        for piece in first.values.indices {
            // Lagrange at 0: Σ y_i Π_{j≠i} x_j / (x_j - x_i).
            var value: UInt64 = 0
            for (i, share) in shares.enumerated() {
                var numerator: UInt64 = 1, denominator: UInt64 = 1
                for (j, other) in shares.enumerated() where j != i {
                    numerator = multiply(numerator, other.x)
                    denominator = multiply(denominator, subtract(other.x, share.x))
                }
                value = add(value, multiply(share.values[piece], multiply(numerator, inverse(denominator))))
            }
            let count = min(pieceBytes, first.length - piece * pieceBytes)
            bytes += (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        }
        return bytes
    }

    static func uniform(_ random: inout some RandomNumberGenerator) -> UInt64 {
        while true {
            let candidate = random.next() >> 3
            if candidate < prime { return candidate }
        }
    }

    static func evaluate(_ coefficients: [UInt64], at x: UInt64) -> UInt64 {
        coefficients.reversed().reduce(UInt64(0)) { add(multiply($0, x), $1) }
    }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let sum = a + b
        return sum >= prime ? sum - prime : sum
    }

    static func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
        a >= b ? a - b : a + prime - b
    }

    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        // a·b < 2^122; with p = 2^61 - 1, 2^61 ≡ 1, so fold the high bits onto the low ones.
        let (high, low) = a.multipliedFullWidth(by: b)
        let folded = (low & prime) + ((low >> 61) | (high << 3))
        return folded >= prime ? (folded - prime >= prime ? folded - 2 * prime : folded - prime) : folded
    }

    static func inverse(_ a: UInt64) -> UInt64 {
        // Fermat: a^(p-2).
        var result: UInt64 = 1, base = a, exponent = prime - 2
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }
}
