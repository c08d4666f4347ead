import Foundation
import TesseraWire

/// A round's global model evaluated by the workers on their held-out data (federated
/// evaluation), as written to the metrics and shown on the terminal.
public struct FederatedEvaluation: Sendable, Equatable, Codable {
    /// Workers that answered.
    public var workers: Int
    /// Held-out samples evaluated, over all of them.
    public var samples: Int
    /// Accuracy over all those samples (each worker counts by its sample count).
    public var accuracy: Double
    /// Mean loss, weighted the same way.
    public var loss: Double
    /// The lowest accuracy of a single worker.
    public var minimumAccuracy: Double
    /// The highest accuracy of a single worker.
    public var maximumAccuracy: Double

    /// The summary of `results`, or nil when none evaluated a sample. Counts are summed as
    /// doubles: no claim, however large, can overflow them (``isUsable`` bounds them anyway).
    init?(_ results: [EvaluationResult]) {
        let answered = results.filter { $0.sampleCount > 0 }
        let samples = answered.reduce(0.0) { $0 + Double($1.sampleCount) }
        guard samples > 0 else { return nil }
        let accuracies = answered.map { Double($0.correctCount) / Double($0.sampleCount) }
        workers = answered.count
        self.samples = Int(exactly: samples) ?? Int.max
        accuracy = answered.reduce(0.0) { $0 + Double($1.correctCount) } / samples
        loss = answered.reduce(0.0) { $0 + $1.loss * Double($1.sampleCount) } / samples
        minimumAccuracy = accuracies.min() ?? .nan
        maximumAccuracy = accuracies.max() ?? .nan
    }

    /// One phrase for a round's terminal line: "federated 97.10% (94.2-99.0% on 10 workers)".
    public var summary: String {
        String(format: "federated %.2f%% (%.1f-%.1f%% on %d workers)", accuracy * 100, minimumAccuracy * 100,
               maximumAccuracy * 100, workers)
    }

    /// Whether a worker's result can count: it answers `round`, evaluated at least one and at
    /// most `maximumSamples` samples (its held-out share, when known), got at most that many
    /// right, and its loss is a finite, non-negative number.
    static func isUsable(_ result: EvaluationResult, round: Int, maximumSamples: UInt64? = nil) -> Bool {
        result.round == UInt64(round) && result.sampleCount > 0 && result.sampleCount <= (maximumSamples ?? UInt64(Int32.max))
            && result.correctCount <= result.sampleCount && result.loss.isFinite && result.loss >= 0
    }
}
