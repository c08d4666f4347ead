import TesseraNN

/// Differential privacy as a decorator of the run's strategy (as Flower's DP wrappers are):
/// given a round's updates it clips each change, sums, noises and divides by the expected
/// clients (``PrivateAggregation``, DP-FedAvg's mechanism), and steps the strategy it wraps with
/// that private average change; given an average change (a secure round's, already clipped and
/// noised on the workers) it passes it on. Any strategy, a user's own too, becomes private by
/// being wrapped; what it steps with is post-processing of a private release.
public struct PrivateStrategy: AggregationStrategy {
    /// The strategy stepping with the private average change.
    public private(set) var inner: any AggregationStrategy
    /// DP-FedAvg's mechanism: the clip (adapting, with a target quantile) and the noise.
    public private(set) var mechanism: PrivateAggregation
    /// The expected clients of a round (workers × fraction): the fixed denominator.
    public let expectedClients: Double
    /// What the last aggregation of updates did (clip, clipped count, noise); nil before one.
    public private(set) var lastRound: PrivateAggregation.Round?

    /// `inner` made private with `mechanism`, rounds expecting `expectedClients` clients.
    public init(_ inner: any AggregationStrategy, mechanism: PrivateAggregation, expectedClients: Double) {
        self.inner = inner
        self.mechanism = mechanism
        self.expectedClients = expectedClients
    }

    /// The private average change of `updates` (noise from the system's secure source), stepped
    /// with by the wrapped strategy. O(updates × parameters).
    ///
    /// - Throws: ``/TesseraNN/NNError`` for updates that do not match the model; errors of the wrapped strategy.
    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        var random = SystemEntropy()
        let (change, round) = try mechanism.aggregate(global: global, updates: updates, expectedClients: expectedClients, random: &random)
        lastRound = round
        return try inner.step(global: global, averageChange: change)
    }

    /// An average change that is already private (a secure round's), stepped with as it is.
    public mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
        try inner.step(global: global, averageChange: averageChange)
    }

    /// The wrapped strategy's state (the clip travels in the checkpoint's metadata).
    public var state: OptimizerState? { inner.state }

    public mutating func restore(_ state: OptimizerState?) throws {
        try inner.restore(state)
    }

    /// Restores a clip that adapted in an earlier run (from a checkpoint).
    public mutating func restore(clip: Double) {
        mechanism.restore(clip: clip)
    }
}
