extension Tensor {
    /// This tensor with each value rounded to the nearest bfloat16 (ties to even; see
    /// ``BFloat16``), held in two bytes per value: a message carries it as bfloat16 (half the
    /// bytes of float32), and reading it gives the rounded values as Float. The first change to
    /// it (or any operation that needs an array) widens it into an array of its own.
    public func roundedToBFloat16() -> Tensor {
        let values = NarrowValues(count: count)
        withFloats { source, count in
            if let source { BFloat16.narrow(source, count: count, into: values.start) }
        }
        var rounded = self
        rounded.hold(BorrowedFloats(aligned: UnsafeRawPointer(values.start), count: count, owner: values, encoding: .bfloat16))
        return rounded
    }

    /// `self − base`, each difference taken in Float and rounded to bfloat16, as
    /// `subtracting(base).roundedToBFloat16()` makes it, without the float32 difference in
    /// between (a worker's change from the model it trained from, sent as bfloat16).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func bfloat16Change(from base: Tensor) throws -> Tensor {
        guard base.shape == shape else { throw TensorError.shapeMismatch("bfloat16 change", shape, base.shape) }
        let values = NarrowValues(count: count)
        withFloats { source, count in
            base.withFloats { reference, _ in
                if let source { BFloat16.narrow(source, minus: reference, count: count, into: values.start) }
            }
        }
        var change = self
        change.hold(BorrowedFloats(aligned: UnsafeRawPointer(values.start), count: count, owner: values, encoding: .bfloat16))
        return change
    }

    /// A tensor of `shape` holding a copy of the little-endian bfloat16 values in `bytes` (a
    /// small received payload, which is not borrowed).
    ///
    /// - Throws: ``TensorError`` when `bytes` are not two per element of `shape`, or a
    ///   dimension is negative.
    package init(shape: [Int], copyingBFloat16 bytes: UnsafeRawBufferPointer) throws {
        try Shape.validate(shape)
        let count = Shape.count(shape)
        guard bytes.count == 2 * count else { throw TensorError.elementCount(shape: shape, count: bytes.count / 2) }
        let values = NarrowValues(count: count)
        if let source = bytes.baseAddress { UnsafeMutableRawPointer(values.start).copyMemory(from: source, byteCount: bytes.count) }
        #if _endian(big)
        for index in 0..<count { values.start[index] = UInt16(littleEndian: values.start[index]) }
        #endif
        self.init(shape: shape, storage: [])
        hold(BorrowedFloats(aligned: UnsafeRawPointer(values.start), count: count, owner: values, encoding: .bfloat16))
    }

    /// Whether the values are held as bfloat16 (``roundedToBFloat16()``, or received so), and
    /// a message would carry them so.
    public var isBFloat16: Bool { borrowed?.encoding == .bfloat16 }
}

/// A buffer of bfloat16 values that nobody writes once filled, freed with its last holder.
private final class NarrowValues: @unchecked Sendable {
    // @unchecked: written only by `roundedToBFloat16()` before it is shared, read-only after.
    let start: UnsafeMutablePointer<UInt16>
    let count: Int

    init(count: Int) {
        self.count = count
        start = .allocate(capacity: Swift.max(count, 1))
    }

    deinit { start.deallocate() }
}
