/// The operations a worker runs on ring tensors (``RingTensor``), as values: what secret-shared
/// arithmetic is composed of. Sums and differences of shares are shares of the sum and
/// difference; products take a Beaver triple, made by a crypto provider from ``random(shape:)``
/// values, ``multiply`` or ``matmul``, and split into shares with ``random(shape:)`` and
/// ``subtract``; ``truncate(bits:party:)`` brings a product's share back to the encoding's
/// fraction bits; ``encode(fractionBits:)`` turns a stored float tensor into fixed point.
public enum RingOp: Sendable, Hashable {
    /// Elementwise, two inputs of one shape.
    case add, subtract, multiply
    /// `[m, k]` by `[k, n]`.
    case matmul
    /// One input.
    case negate
    /// A product's share, for party 0 or 1 of two, shifted back by `bits` (SecureML).
    case truncate(bits: Int, party: Int)
    /// No input: uniformly random elements from the system's secure source.
    case random(shape: [Int])
    /// One input: uniformly random elements of its shape.
    case randomLike
    /// One float tensor's values in fixed point with `fractionBits`.
    case encode(fractionBits: Int)

    /// How many inputs it takes.
    public var arity: Int {
        switch self {
        case .add, .subtract, .multiply, .matmul: 2
        case .negate, .truncate, .encode, .randomLike: 1
        case .random: 0
        }
    }

    /// The op's name as the wire and errors spell it.
    public var name: String {
        switch self {
        case .add: "ring add"
        case .subtract: "ring subtract"
        case .multiply: "ring multiply"
        case .matmul: "ring matmul"
        case .negate: "ring negate"
        case .truncate: "ring truncate"
        case .random: "ring random"
        case .randomLike: "ring random like"
        case .encode: "ring encode"
        }
    }

    /// The result's shape for inputs of `shapes`, without computing it.
    ///
    /// - Throws: ``TensorError`` for the wrong number of inputs, shapes that do not fit, or
    ///   arguments out of range.
    public func resultShape(for shapes: [[Int]]) throws -> [Int] {
        guard shapes.count == arity else {
            throw TensorError(.arity, "\(name) takes \(arity) inputs, got \(shapes.count)")
        }
        switch self {
        case .add, .subtract, .multiply:
            guard shapes[0] == shapes[1] else { throw TensorError.shapeMismatch(name, shapes[0], shapes[1], "ring tensors do not broadcast") }
            return shapes[0]
        case .matmul:
            guard let (m, _, n) = RingTensor.matmulSizes(shapes[0], shapes[1]) else {
                throw TensorError.shapeMismatch(name, shapes[0], shapes[1], "expected [m, k] and [k, n]")
            }
            return [m, n]
        case .negate, .randomLike:
            return shapes[0]
        case let .truncate(bits, party):
            guard party == 0 || party == 1, (1...62).contains(bits) else {
                throw TensorError.invalidArgument(name, "takes party 0 or 1 and 1 to 62 bits, not party \(party) and \(bits) bits")
            }
            return shapes[0]
        case let .random(shape):
            try Shape.validate(shape)
            return shape
        case let .encode(bits):
            guard (0...40).contains(bits) else { throw TensorError.invalidArgument(name, "takes 0 to 40 fraction bits, not \(bits)") }
            return shapes[0]
        }
    }

    /// Arithmetic operations it takes on inputs of `shapes` (a matmul's m·k·n, else its elements).
    ///
    /// - Throws: ``TensorError`` as ``resultShape(for:)`` does.
    public func work(for shapes: [[Int]]) throws -> Int {
        let result = try Shape.checkedCount(try resultShape(for: shapes))
        guard case .matmul = self else { return result }
        let (product, overflow) = result.multipliedReportingOverflow(by: shapes[0][1])
        return overflow ? .max : product
    }

    /// Runs the op on ring `inputs`, drawing ``random(shape:)`` from `generator`. ``encode(fractionBits:)``
    /// takes a float tensor: see ``encode(_:)``.
    ///
    /// - Throws: ``TensorError`` as ``resultShape(for:)`` does, and for ``encode(fractionBits:)``.
    public func apply(to inputs: [RingTensor], using generator: inout some RandomNumberGenerator) throws -> RingTensor {
        _ = try resultShape(for: inputs.map(\.shape))
        switch self {
        case .add: return try inputs[0].adding(inputs[1])
        case .subtract: return try inputs[0].subtracting(inputs[1])
        case .multiply: return try inputs[0].multiplying(inputs[1])
        case .matmul: return try inputs[0].matmul(inputs[1])
        case .negate: return inputs[0].negated()
        case let .truncate(bits, party): return try inputs[0].truncated(bits: bits, party: party)
        case let .random(shape): return try RingTensor.random(shape: shape, using: &generator)
        case .randomLike: return try RingTensor.random(shape: inputs[0].shape, using: &generator)
        case .encode: throw TensorError.invalidArgument(name, "takes a float tensor, not a ring tensor")
        }
    }

    /// ``encode(fractionBits:)`` on `tensor`.
    ///
    /// - Throws: ``TensorError`` for another op, or a value the encoding cannot hold.
    public func encode(_ tensor: Tensor) throws -> RingTensor {
        guard case let .encode(bits) = self else { throw TensorError.invalidArgument(name, "does not take a float tensor") }
        _ = try resultShape(for: [tensor.shape])
        return try RingTensor(encoding: tensor, FixedPoint(fractionBits: bits))
    }
}
