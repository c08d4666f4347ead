import TesseraNN
import TesseraTensor

/// How the scheduler turns a round into the next global model. Strategies with server state
/// (momentum, moments) keep it between rounds, in a `TesseraNN` optimizer.
///
/// A strategy steps from the round's **average change** Δ (the clients' models minus the global
/// one, averaged), whichever path made it: FedAvg's sample-weighted mean of plain updates
/// (``aggregate(global:updates:)``), the unmasked secure sum, DP-FedAvg's clipped and noised
/// mean (``PrivateAggregation``), FedBuff's staleness-weighted buffer. No path hands a strategy
/// made-up updates.
public protocol AggregationStrategy: Sendable {
    /// The next global model from the current one and the round's average change.
    ///
    /// - Throws: ``/TesseraNN/NNError`` for a change that does not match the model.
    mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet

    /// The next global model from the current one and this round's updates (validated against
    /// `global`): by default a step with their sample-weighted average change, summed in
    /// worker-id order.
    ///
    /// - Throws: ``SchedulerError`` or ``/TesseraNN/NNError`` for empty or mismatched updates.
    mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet

    /// Whether ``aggregate(global:updates:)`` depends on the updates only through their
    /// sample-weighted average (FedAvg and the server optimizers: true). The scheduler then
    /// averages a round while it measures the updates' changes, reading each client's model
    /// once, and calls ``aggregate(global:average:)``. False by default: a strategy that
    /// overrides ``aggregate(global:updates:)`` gets the updates.
    var aggregatesTheAverageOnly: Bool { get }

    /// The next global model from the current one and the round's sample-weighted average
    /// (``FederatedAveraging``): by default a step with its change from `global`.
    ///
    /// - Throws: ``/TesseraNN/NNError`` for an average that does not match the model.
    mutating func aggregate(global: ParameterSet, average: ParameterSet) throws -> ParameterSet

    /// Server state to checkpoint (nil for stateless strategies).
    var state: OptimizerState? { get }

    /// Restores state written by ``state``.
    ///
    /// - Throws: ``SchedulerError`` or ``/TesseraNN/NNError`` when the state is not this strategy's.
    mutating func restore(_ state: OptimizerState?) throws
}

extension AggregationStrategy {
    /// The average is ``FederatedAveraging/aggregate(_:)``'s, made in its one pass over each
    /// update (``FederatedAveraging/aggregate(_:measuringChangesFrom:)``, the same bits): a
    /// round that refused an update sums the others again this way.
    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        try aggregate(global: global, average: try FederatedAveraging.aggregate(updates, measuringChangesFrom: global).average)
    }

    public var aggregatesTheAverageOnly: Bool { false }

    public mutating func aggregate(global: ParameterSet, average: ParameterSet) throws -> ParameterSet {
        try step(global: global, averageChange: try average.subtracting(global))
    }
}

/// FedAvg: the sample-weighted average (McMahan et al. 2017). FedProx uses it too; its
/// difference is on the clients.
public struct FedAvg: AggregationStrategy {
    /// FedAvg.
    public init() {}

    /// The global model moved by the average change.
    public mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
        var next = global
        try next.add(averageChange, scaledBy: 1)
        return next
    }

    public var aggregatesTheAverageOnly: Bool { true }

    /// The average itself (not global plus its change: the same, without the rounding).
    public mutating func aggregate(global: ParameterSet, average: ParameterSet) throws -> ParameterSet {
        average
    }

    public var state: OptimizerState? { nil }

    public mutating func restore(_ state: OptimizerState?) throws {
        guard state == nil else { throw SchedulerError.badStrategyState("FedAvg keeps no state, but the checkpoint has '\(state?.kind ?? "")' state") }
    }
}

/// A server optimizer stepping the global model along the pseudo-gradient `global − average`
/// (minus FedAvg's change Δ = average − global), as in Reddi et al. 2021, Algorithm 2: FedAvgM
/// is SGD with momentum on it, FedAdam and FedYogi are Adam and Yogi without bias correction.
/// Δ is the **sample-weighted** average change (FedAvg's weighting), where the paper averages
/// the clients' changes with equal weights.
public struct ServerOptimizer<O: Optimizer>: AggregationStrategy {
    /// The optimizer and its state.
    public private(set) var optimizer: O

    /// A strategy stepping with `optimizer`.
    public init(_ optimizer: O) {
        self.optimizer = optimizer
    }

    public mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
        var next = global
        try optimizer.step(&next, gradients: averageChange.scaled(by: -1))
        return next
    }

    public var aggregatesTheAverageOnly: Bool { true }

    public var state: OptimizerState? { optimizer.state }

    public mutating func restore(_ state: OptimizerState?) throws {
        guard let state else { return }
        try optimizer.restore(state)
    }
}

extension ServerOptimizer where O == SGD {
    /// FedAvgM (Hsu et al. 2019): `v ← β·v + Δ`, `w ← w + η·v`.
    ///
    /// - Throws: ``/TesseraNN/NNError`` for a negative rate or momentum.
    public static func fedAvgM(serverLearningRate: Float = 1, momentum: Float = 0.9) throws -> Self {
        Self(try SGD(learningRate: serverLearningRate, momentum: momentum))
    }
}

extension ServerOptimizer where O == Adam {
    /// FedAdam or FedYogi with the paper's defaults (η 0.01, β₁ 0.9, β₂ 0.99, τ 0.001):
    /// `m ← β₁m + (1−β₁)Δ`; FedAdam `v ← β₂v + (1−β₂)Δ²`, FedYogi `v ← v − (1−β₂)Δ²·sign(v − Δ²)`,
    /// v starting at τ²; `w ← w + η·m/(√v + τ)`.
    ///
    /// - Throws: ``/TesseraNN/NNError`` for settings out of range.
    public static func adaptive(_ rule: Adam.SecondMomentRule, serverLearningRate: Float = 0.01, beta1: Float = 0.9,
                                beta2: Float = 0.99, tau: Float = 0.001) throws -> Self {
        Self(try Adam(learningRate: serverLearningRate, beta1: beta1, beta2: beta2, epsilon: tau, rule: rule,
                      biasCorrection: false, initialSecondMoment: tau * tau))
    }
}
