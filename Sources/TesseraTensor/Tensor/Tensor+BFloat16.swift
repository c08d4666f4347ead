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
