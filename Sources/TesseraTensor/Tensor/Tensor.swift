/// An n-dimensional array of `Float` with row-major contiguous storage and value semantics.
///
/// Copies share storage until one of them is mutated (copy-on-write, through Swift's array).
/// A tensor can take part in reverse-mode automatic differentiation: set `requiresGrad`, build
/// a scalar from it with the ops, call `backward()` on that scalar, and read `grad`.
///
/// Shape mistakes are reported as ``TensorError`` values, never traps.
public struct Tensor: Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float] { storage }
    /// The backing store. Kept separate from `scalars` so kernels can write it in place. A
    /// tensor decoded from a message reads the message's bytes (``borrowed``) until the first
    /// access here, which copies them into an array once: a read into one the borrowed floats
    /// share, a change into one of its own.
    var storage: [Float] {
        get { borrowed?.elements ?? elements }
        _modify {
            if let borrowed {
                elements = borrowed.taken()
                self.borrowed = nil
            }
            yield &elements
        }
    }
    private var elements: [Float]
    /// The received floats this tensor reads in place, if it was decoded from a message.
    package private(set) var borrowed: BorrowedFloats?
    /// The autograd record: a leaf (requiresGrad) or the op that produced this tensor.
    var node: GradNode?

    /// Wraps `storage` as a tensor of `shape`; the caller guarantees the count matches.
    init(shape: [Int], storage: [Float], node: GradNode? = nil) {
        self.shape = shape
        self.elements = storage
        self.borrowed = nil
        self.node = node
    }

    /// A tensor of `shape` over borrowed floats, not copied until an operation needs them.
    ///
    /// - Throws: ``TensorError`` when the count does not match the shape or a dimension is negative.
    package init(shape: [Int], borrowing borrowed: BorrowedFloats) throws {
        try Shape.validate(shape)
        guard Shape.count(shape) == borrowed.count else {
            throw TensorError.elementCount(shape: shape, count: borrowed.count)
        }
        self.shape = shape
        self.elements = []
        self.borrowed = borrowed
        self.node = nil
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    ///
    /// - Throws: ``TensorError`` when the count does not match the shape or a dimension is negative.
    public init(_ scalars: [Float], shape: [Int]) throws {
        try Shape.validate(shape)
        guard Shape.count(shape) == scalars.count else {
            throw TensorError.elementCount(shape: shape, count: scalars.count)
        }
        self.init(shape: shape, storage: scalars)
    }

    /// A one-dimensional tensor of `scalars`.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], storage: scalars)
    }

    /// A scalar (rank-0) tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], storage: [scalar])
    }

    /// Holds `values`, of this tensor's element count, instead of its elements; drops the
    /// autograd record (the values are new).
    mutating func hold(_ values: BorrowedFloats) {
        elements = []
        borrowed = values
        node = nil
    }

    /// Whether `other` reads the very same values in memory as this tensor (a copy not yet
    /// changed): O(1), and false for equal values held apart.
    package func sharesValues(with other: Tensor) -> Bool {
        guard shape == other.shape else { return false }
        if let borrowed, let theirs = other.borrowed { return borrowed === theirs }
        guard borrowed == nil, other.borrowed == nil else { return false }
        return elements.withUnsafeBufferPointer { mine in
            other.elements.withUnsafeBufferPointer { theirs in mine.baseAddress == theirs.baseAddress }
        }
    }

    /// Replaces the elements in place, keeping shape and autograd state (an optimizer step).
    ///
    /// - Throws: ``TensorError`` when `newScalars` has a different count.
    public mutating func replaceScalars(_ newScalars: [Float]) throws {
        guard newScalars.count == Shape.count(shape) else {
            throw TensorError.elementCount(shape: shape, count: newScalars.count)
        }
        // Not through `storage`, which would first copy borrowed floats only to drop them.
        borrowed = nil
        elements = newScalars
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Number of elements.
    public var count: Int { Shape.count(shape) }

    /// The only element of a one-element tensor, or nil.
    public var scalar: Float? { count == 1 ? storage[0] : nil }
}

extension Tensor {
    /// A tensor of `shape` that `body` writes in full from two input arrays (a kernel's
    /// output); all zeros when an input or the output is empty.
    static func computed(
        _ shape: [Int], from first: [Float], _ second: [Float],
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let count = Shape.count(shape)
        let storage = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            first.withUnsafeBufferPointer { a in
                second.withUnsafeBufferPointer { b in
                    if let pa = a.baseAddress, let pb = b.baseAddress, let po = out.baseAddress {
                        body(pa, pb, po)
                    } else {
                        out.initialize(repeating: 0)
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: shape, storage: storage)
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first eight elements.
    public var description: String {
        let shown = storage.prefix(8).map { String($0) }.joined(separator: ", ")
        let more = storage.count > 8 ? ", …" : ""
        return "Tensor(shape: \(shape), [\(shown)\(more)])"
    }
}

extension Tensor: Equatable {
    /// Equal when shapes and elements are equal; autograd state is ignored.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.storage == rhs.storage
    }
}
