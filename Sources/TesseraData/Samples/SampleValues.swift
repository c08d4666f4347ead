/// Sample values as a dataset stores them: bytes (images, small token sets) or 32-bit floats.
public enum SampleValues: Sendable, Equatable {
    /// One byte per value.
    case bytes([UInt8])
    /// One float per value.
    case floats([Float])

    /// Number of values.
    public var count: Int {
        switch self {
        case let .bytes(values): values.count
        case let .floats(values): values.count
        }
    }

    /// Whether values are stored as bytes.
    public var isBytes: Bool {
        if case .bytes = self { return true }
        return false
    }

    /// The rows of `size` values at `indices` (each in range), in that order.
    func rows(_ indices: [Int], size: Int) -> SampleValues {
        func gather<Element>(_ values: [Element]) -> [Element] {
            var result: [Element] = []
            result.reserveCapacity(indices.count * size)
            for index in indices { result.append(contentsOf: values[(index * size)..<((index + 1) * size)]) }
            return result
        }
        switch self {
        case let .bytes(values): return .bytes(gather(values))
        case let .floats(values): return .floats(gather(values))
        }
    }
}
