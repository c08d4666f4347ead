/// Bounds a decoder enforces before it allocates anything, so that no length read from the
/// wire is trusted. Configurable per process; the defaults suit MNIST-scale federated runs.
public struct WireLimits: Sendable, Equatable {
    /// Largest message, header and payload frames together, in bytes.
    public var maximumMessageBytes: Int
    /// Most elements in one tensor.
    public var maximumTensorElements: Int
    /// Most dimensions of one tensor.
    public var maximumRank: Int
    /// Most tensors in one message.
    public var maximumTensors: Int
    /// Longest string (ids, names, errors, JSON), in UTF-8 bytes.
    public var maximumStringBytes: Int
    /// Most entries in a list (ids to delete, plan steps, op inputs, histogram bins, metrics).
    public var maximumListCount: Int

    /// Limits with the given values; the defaults allow 1 GiB messages of up to 256 Mi-element
    /// tensors.
    public init(
        maximumMessageBytes: Int = 1 << 30, maximumTensorElements: Int = 1 << 28, maximumRank: Int = 8,
        maximumTensors: Int = 4096, maximumStringBytes: Int = 1 << 20, maximumListCount: Int = 1 << 16
    ) {
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumTensorElements = maximumTensorElements
        self.maximumRank = maximumRank
        self.maximumTensors = maximumTensors
        self.maximumStringBytes = maximumStringBytes
        self.maximumListCount = maximumListCount
    }
}
