/// How many samples each client's share of the run's data holds (by client index): what the
/// scheduler holds a worker's sample-count claims to. Known when the scheduler can rebuild the
/// split (it loads the same data); a worker that registered a sample count of its own is held
/// to that instead.
public struct ShareSizes: Sendable, Equatable {
    /// Samples each client trains on.
    public var training: [Int]
    /// Samples each client holds out for federated evaluation.
    public var heldOut: [Int]

    /// Sizes for clients `0..<training.count`.
    public init(training: [Int], heldOut: [Int]) {
        self.training = training
        self.heldOut = heldOut
    }
}
