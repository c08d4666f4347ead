import TesseraNN

/// FedBN on the server: the wrapped strategy aggregates, and the entries that stay on the
/// clients (``/TesseraNN/LocalNormalization``) keep their global values, whatever the step or a private
/// round's noise did to them. The clients send those values back unchanged, so in plain FedAvg
/// this changes nothing; it keeps server optimizers and noise off entries nobody federates.
public struct LocalNormalizationStrategy: AggregationStrategy {
    /// The strategy that aggregates.
    public private(set) var inner: any AggregationStrategy
    /// The entries left as they are.
    public let names: Set<String>

    /// `inner`, leaving the entries `names` as they are.
    public init(_ inner: any AggregationStrategy, keeping names: Set<String>) {
        self.inner = inner
        self.names = names
    }

    public mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
        try inner.step(global: global, averageChange: averageChange).replacing(names, from: global)
    }

    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        try inner.aggregate(global: global, updates: updates).replacing(names, from: global)
    }

    public var aggregatesTheAverageOnly: Bool { inner.aggregatesTheAverageOnly }

    public mutating func aggregate(global: ParameterSet, average: ParameterSet) throws -> ParameterSet {
        try inner.aggregate(global: global, average: average).replacing(names, from: global)
    }

    public var state: OptimizerState? { inner.state }

    public mutating func restore(_ state: OptimizerState?) throws {
        try inner.restore(state)
    }
}
