/// An n-dimensional array of integers modulo 2^64, row-major: the ring additive secret sharing
/// works in. A fixed-point tensor (``FixedPoint``) split into random shares that add up to it is
/// one ring tensor per party; adding two parties' shares adds the values they share, and with a
/// Beaver triple, multiplying them multiplies.
///
/// Arithmetic wraps (it is modulo 2^64 by definition); shapes must match exactly (no
/// broadcasting), and mistakes are ``TensorError`` values, never traps.
public struct RingTensor: Sendable, Equatable {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The elements in row-major order.
    public let elements: [UInt64]

    /// A ring tensor of `shape` holding `elements`.
    ///
    /// - Throws: ``TensorError`` when the count does not match the shape or a dimension is negative.
    public init(_ elements: [UInt64], shape: [Int]) throws {
        try Shape.validate(shape)
        guard Shape.count(shape) == elements.count else { throw TensorError.elementCount(shape: shape, count: elements.count) }
        self.shape = shape
        self.elements = elements
    }

    /// Wraps `elements` of `shape`; the caller guarantees the count.
    init(unchecked elements: [UInt64], shape: [Int]) {
        self.shape = shape
        self.elements = elements
    }

    /// Number of elements.
    public var count: Int { elements.count }

    /// Uniformly random elements of `shape` from `generator` (a secure one for shares and triples).
    ///
    /// - Throws: ``TensorError`` for an invalid shape.
    public static func random(shape: [Int], using generator: inout some RandomNumberGenerator) throws -> RingTensor {
        try Shape.validate(shape)
        return RingTensor(unchecked: (0..<Shape.count(shape)).map { _ in generator.next() }, shape: shape)
    }

    /// `tensor` in fixed point with `encoding`'s fraction bits.
    ///
    /// - Throws: ``TensorError`` for a value that is not finite or too large for the encoding.
    public init(encoding tensor: Tensor, _ encoding: FixedPoint) throws {
        self.init(unchecked: try encoding.encode(tensor.scalars), shape: tensor.shape)
    }

    /// The values these elements encode in `encoding` (two's complement).
    public func decoded(_ encoding: FixedPoint) -> Tensor {
        Tensor(shape: shape, storage: encoding.decode(elements).map { Float($0) })
    }

    /// `count` random ring tensors that add up to this one: additive secret shares. Any
    /// `count` − 1 of them are uniformly random, whatever this tensor holds. O(count × elements).
    ///
    /// - Throws: ``TensorError`` for fewer than 2 shares.
    public func shares(_ count: Int, using generator: inout some RandomNumberGenerator) throws -> [RingTensor] {
        guard count >= 2 else { throw TensorError.invalidArgument("share", "secret sharing needs at least 2 shares, not \(count)") }
        var shares = try (1..<count).map { _ in try RingTensor.random(shape: shape, using: &generator) }
        var last = elements
        for share in shares { for index in last.indices { last[index] &-= share.elements[index] } }
        shares.append(RingTensor(unchecked: last, shape: shape))
        return shares
    }
}
