import TesseraNN
import TesseraTensor

/// How the scheduler turns a round's updates into the next global model. Strategies with
/// server state (momentum, moments) keep it between rounds.
public protocol AggregationStrategy: Sendable {
    /// The next global model from the current one and this round's updates (validated against
    /// `global`; implementations sum in worker-id order).
    ///
    /// - Throws: ``SchedulerError`` or ``NNError`` for empty or mismatched updates.
    mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet

    /// Server state to checkpoint, by buffer name (empty for stateless strategies).
    var state: [String: ParameterSet] { get }

    /// Restores state written by ``state``.
    ///
    /// - Throws: ``SchedulerError`` when buffers are missing or unknown.
    mutating func restore(_ state: [String: ParameterSet]) throws
}

extension AggregationStrategy {
    public var state: [String: ParameterSet] { [:] }

    public mutating func restore(_ state: [String: ParameterSet]) throws {
        guard state.isEmpty else { throw SchedulerError.badStrategyState("this strategy keeps no state, but the checkpoint has \(state.keys.sorted())") }
    }
}

/// FedAvg: the sample-weighted average (McMahan et al. 2017). FedProx uses it too; its
/// difference is on the clients.
public struct FedAvg: AggregationStrategy {
    /// FedAvg.
    public init() {}

    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        try FederatedAveraging.aggregate(updates)
    }
}

/// FedAvgM (Hsu et al. 2019): server momentum on the averaged update,
/// `v ← β·v + Δ`, `w ← w + η·v`, with `Δ` = average − global.
public struct FedAvgM: AggregationStrategy {
    /// Server learning rate η.
    public var serverLearningRate: Float
    /// Server momentum β.
    public var momentum: Float
    private var velocity: ParameterSet?

    /// FedAvgM with server rate η and momentum β.
    public init(serverLearningRate: Float = 1, momentum: Float = 0.9) {
        self.serverLearningRate = serverLearningRate
        self.momentum = momentum
    }

    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        let delta = try FederatedAveraging.aggregate(updates).subtracting(global)
        var next = velocity.map { $0.scaled(by: momentum) } ?? delta.scaled(by: 0)
        try next.add(delta, scaledBy: 1)
        velocity = next
        var result = global
        try result.add(next, scaledBy: serverLearningRate)
        return result
    }

    public var state: [String: ParameterSet] { velocity.map { ["velocity": $0] } ?? [:] }

    public mutating func restore(_ state: [String: ParameterSet]) throws {
        guard Set(state.keys).isSubset(of: ["velocity"]) else { throw SchedulerError.badStrategyState("FedAvgM state has unknown buffers \(state.keys.sorted())") }
        velocity = state["velocity"]
    }
}

/// FedAdam and FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization"): Adam-style
/// server updates on `Δ` = average − global: `m ← β₁m + (1−β₁)Δ`; FedAdam
/// `v ← β₂v + (1−β₂)Δ²`, FedYogi `v ← v − (1−β₂)Δ²·sign(v − Δ²)`; `w ← w + η·m/(√v + τ)`.
public struct AdaptiveServerOptimizer: AggregationStrategy {
    /// Which second-moment rule.
    public enum Rule: String, Sendable {
        case adam, yogi
    }

    /// The rule.
    public var rule: Rule
    /// Server learning rate η.
    public var serverLearningRate: Float
    /// First-moment decay β₁.
    public var beta1: Float
    /// Second-moment decay β₂.
    public var beta2: Float
    /// Adaptivity τ (added to √v).
    public var tau: Float
    private var first: [[Float]] = []
    private var second: [[Float]] = []
    /// Names and shapes of the moments (set on the first round).
    private var layout: ParameterSet?

    /// A server optimizer with the paper's defaults (η 0.01, β₁ 0.9, β₂ 0.99, τ 0.001).
    public init(rule: Rule, serverLearningRate: Float = 0.01, beta1: Float = 0.9, beta2: Float = 0.99, tau: Float = 0.001) {
        self.rule = rule
        self.serverLearningRate = serverLearningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
    }

    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        let delta = try FederatedAveraging.aggregate(updates).subtracting(global)
        if first.isEmpty {
            layout = delta
            first = delta.tensors.map { [Float](repeating: 0, count: $0.count) }
            // The paper initializes v to τ².
            second = delta.tensors.map { [Float](repeating: tau * tau, count: $0.count) }
        }
        var result = global
        var steps: [(name: String, tensor: Tensor)] = []
        for (index, (name, change)) in delta.entries.enumerated() {
            let d = change.scalars
            var step = [Float](repeating: 0, count: d.count)
            for i in d.indices {
                first[index][i] = beta1 * first[index][i] + (1 - beta1) * d[i]
                let square = d[i] * d[i]
                switch rule {
                case .adam:
                    second[index][i] = beta2 * second[index][i] + (1 - beta2) * square
                case .yogi:
                    let sign: Float = second[index][i] - square > 0 ? 1 : (second[index][i] - square < 0 ? -1 : 0)
                    second[index][i] -= (1 - beta2) * square * sign
                }
                step[i] = serverLearningRate * first[index][i] / (second[index][i].squareRoot() + tau)
            }
            steps.append((name: name, tensor: try Tensor(step, shape: change.shape)))
        }
        try result.add(try ParameterSet(steps), scaledBy: 1)
        return result
    }

    public var state: [String: ParameterSet] {
        guard let layout, let m = try? layout.unflattened(first.flatMap { $0 }),
              let v = try? layout.unflattened(second.flatMap { $0 }) else { return [:] }
        return ["first": m, "second": v]
    }

    public mutating func restore(_ state: [String: ParameterSet]) throws {
        guard Set(state.keys) == ["first", "second"] || state.isEmpty else {
            throw SchedulerError.badStrategyState("adaptive server state needs 'first' and 'second' moments, got \(state.keys.sorted())")
        }
        guard let m = state["first"], let v = state["second"] else { return }
        layout = m
        first = m.tensors.map(\.scalars)
        second = v.tensors.map(\.scalars)
    }
}
