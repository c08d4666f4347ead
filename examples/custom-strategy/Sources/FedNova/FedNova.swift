import TesseraNN
import TesseraScheduler

/// FedNova (Wang et al. 2020, "Tackling the Objective Inconsistency Problem in Heterogeneous
/// Federated Optimization"): each client's change is divided by the local steps it took before
/// the changes are averaged, so that clients with more data (more steps) do not pull the model
/// towards their own objective; the average is then scaled back by the effective number of
/// steps. With equal steps everywhere it is FedAvg.
///
/// For client k with n_k samples: τ_k = E·⌈n_k / B⌉ steps, p_k = n_k / Σn, d_k = (w − w_k) / τ_k,
/// τ_eff = Σ p_k τ_k, and the server step is w ← w − η (β v + τ_eff Σ p_k d_k) with server
/// momentum v (β = 0: none). τ_k comes from the sample count the scheduler holds the client to,
/// never from anything the client says about itself.
public struct FedNova: AggregationStrategy {
    /// Local epochs E and batch size B, as the run's train tasks carry them.
    public let localEpochs: Int, batchSize: Int
    /// Server learning rate η and momentum β.
    public let learningRate: Float, momentum: Float
    /// The momentum buffer (nil before the first step, or with β = 0).
    private var velocity: ParameterSet?
    /// Server steps taken.
    private var steps = 0

    /// FedNova for clients that train `localEpochs` epochs in batches of `batchSize`.
    public init(localEpochs: Int, batchSize: Int, learningRate: Float = 1, momentum: Float = 0) {
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
    }

    /// The local steps a client with `samples` samples takes.
    public func localSteps(samples: UInt64) -> Int {
        localEpochs * Int((samples + UInt64(batchSize) - 1) / UInt64(batchSize))
    }

    public mutating func aggregate(global: ParameterSet, updates: [ValidatedUpdate]) throws -> ParameterSet {
        // Worker-id order: the same sums, bit for bit, in every run from the same seed.
        let ordered = updates.sorted { $0.workerID < $1.workerID }
        let total = ordered.reduce(0.0) { $0 + Double($1.sampleCount) }
        guard !ordered.isEmpty, total > 0 else { throw SchedulerError.nothingToAggregate }
        let shares = ordered.map { Double($0.sampleCount) / total }
        let clientSteps = ordered.map { Double(max(1, localSteps(samples: $0.sampleCount))) }
        let effectiveSteps = zip(shares, clientSteps).reduce(0) { $0 + $1.0 * $1.1 }
        // τ_eff Σ p_k (w − w_k) / τ_k: the normalized change, the way FedNova moves against it.
        let changes = try ordered.map { try global.subtracting($0.parameters) }
        let weights = zip(shares, clientSteps).map { Float(effectiveSteps * $0 / $1) }
        return try step(global: global, averageChange: try ParameterSet.weightedSum(changes, weights: weights).scaled(by: -1))
    }

    /// A server step along `averageChange` (a change to add), with momentum.
    public mutating func step(global: ParameterSet, averageChange: ParameterSet) throws -> ParameterSet {
        var direction = averageChange
        if momentum > 0 {
            if let velocity { try direction.add(velocity, scaledBy: momentum) }
            velocity = direction
        }
        steps += 1
        var next = global
        try next.add(direction, scaledBy: learningRate)
        return next
    }

    /// The momentum buffer and the step count, checkpointed with the model.
    public var state: OptimizerState? {
        OptimizerState(kind: "fednova", step: steps, buffers: velocity.map { ["velocity": $0] } ?? [:])
    }

    public mutating func restore(_ state: OptimizerState?) throws {
        guard let state else { return }
        guard state.kind == "fednova", state.buffers.keys.allSatisfy({ $0 == "velocity" }) else {
            throw SchedulerError.invalidConfiguration("the checkpoint's server state is '\(state.kind)', not FedNova's: resume with the strategy that wrote it")
        }
        steps = state.step
        velocity = state.buffers["velocity"]
    }
}
