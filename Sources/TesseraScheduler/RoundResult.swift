import Foundation

/// What one round did, as written to `metrics.jsonl` and shown on the terminal.
public struct RoundResult: Sendable, Equatable, Codable {
    /// The round number, from 1.
    public var round: Int
    /// Workers sent the task.
    public var sampled: Int
    /// Updates aggregated.
    public var received: Int
    /// Sampled workers that missed the deadline or failed.
    public var late: Int
    /// Whether a quorum arrived and the global model changed.
    public var aggregated: Bool
    /// Test-set accuracy of the global model after the round.
    public var accuracy: Double
    /// Test-set loss of the global model after the round.
    public var loss: Double
    /// Seconds from sending the tasks to the end of evaluation.
    public var seconds: Double
    /// Seconds spent in evaluation (on the test set, and federated when the run holds data out).
    public var evaluationSeconds: Double
    /// The workers' evaluation on their held-out data; nil when the run holds none out or no
    /// worker answered.
    public var federated: FederatedEvaluation? = nil
    /// The mean training loss the updates reported (their `loss` metric, weighted by sample
    /// count); nil when none reported one.
    public var trainLoss: Double? = nil
    /// The workers whose updates were used, sorted.
    public var contributors: [String] = []

    /// The sample-weighted mean of the non-negative `loss` metrics in `updates`, if any.
    static func meanTrainingLoss(_ updates: [ValidatedUpdate]) -> Double? {
        let reporting = updates.compactMap { update in update.metrics["loss"].flatMap { $0 >= 0 ? ($0, Double(update.sampleCount)) : nil } }
        let samples = reporting.reduce(0) { $0 + $1.1 }
        return samples > 0 ? reporting.reduce(0) { $0 + $1.0 * $1.1 } / samples : nil
    }
}
