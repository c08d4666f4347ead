import Foundation

/// What one round did, as written to `metrics.jsonl` and shown on the terminal.
public struct RoundResult: Sendable, Equatable, Encodable {
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
    /// Test-set accuracy of the global model after the round; nil in a round not evaluated
    /// (`training.evaluate_every`).
    public var accuracy: Double?
    /// Test-set loss of the global model after the round; nil in a round not evaluated.
    public var loss: Double?
    /// Seconds from sending the tasks to the end of evaluation (of the round's close, in a
    /// round not evaluated).
    public var seconds: Double
    /// Seconds spent in evaluation (on the test set, and federated when the run holds data
    /// out); nil in a round not evaluated.
    public var evaluationSeconds: Double?
    /// Synchronous rounds: seconds the close took to screen and sum the updates (or unmask a
    /// secure sum) and step the model, on the scheduler's message loop; nil in asynchronous
    /// modes and in a secure round whose sum was never unmasked.
    public var aggregationSeconds: Double? = nil
    /// On virtual time: the round's virtual seconds (its slowest client's, or the deadline).
    public var virtualSeconds: Double? = nil
    /// On virtual time: virtual seconds since the first round began, at the round's end.
    public var virtualTime: Double? = nil
    /// The workers' evaluation on their held-out data; nil when the run holds none out or no
    /// worker answered.
    public var federated: FederatedEvaluation? = nil
    /// What the scheduler's evaluation hook computed of the global model after the round
    /// (``FederatedScheduler/evaluationHook``); nil without one.
    public var custom: [String: Double]? = nil
    /// The mean training loss the updates reported (their `loss` metric, weighted by sample
    /// count); nil when none reported one.
    public var trainLoss: Double? = nil
    /// The workers whose updates were used, sorted.
    public var contributors: [String] = []
    /// Asynchronous modes: the staleness of what the period since the last report applied.
    public var staleness: StalenessSummary? = nil
    /// DP-FedAvg: the privacy spent up to this round and what its aggregation did.
    public var privacy: PrivacySummary? = nil
    /// Secure aggregation: how many took each step, and why the sum was not unmasked if it was not.
    public var secure: SecureSummary? = nil
    /// A private run: the fields of this record that ε does not cover (docs/PRIVACY.md), named
    /// so that whoever publishes the metrics knows what is not private.
    public var outsideEpsilon: [String] = []
    /// A private run under `privacy.private_metrics`: those fields, left out of the metrics.
    public var withheld: [String] = []

    /// The fields of a private round's record that ε does not cover: who and how many took
    /// part, how many were clipped, what they reported of their training and held-out data.
    public static let fieldsOutsideEpsilon = ["sampled", "received", "late", "contributors", "trainLoss", "federated", "privacy.clipped"]

    /// A secure round's steps.
    public struct SecureSummary: Sendable, Equatable, Encodable {
        /// Shares that rebuild a secret (the fewest workers each step may go on with).
        public var threshold: Int
        /// Workers that sent their keys.
        public var keys: Int
        /// Workers that sent their encrypted shares.
        public var shared: Int
        /// Workers whose masked input arrived: those whose updates the sum holds.
        public var masked: Int
        /// Workers that revealed their shares for the unmasking.
        public var unmasked: Int
        /// Why the sum could not be unmasked or used; nil when it was.
        public var failure: String?

        /// "secure sum of 7 (threshold 6; 10 keys, 10 shared, 7 masked, 7 unmasked)" for the round line.
        public var summary: String {
            let steps = "threshold \(threshold); \(keys) keys, \(shared) shared, \(masked) masked, \(unmasked) unmasked"
            return failure.map { "no secure sum (\(steps)): \($0)" } ?? "secure sum of \(masked) (\(steps))"
        }
    }

    /// A private round's privacy.
    public struct PrivacySummary: Sendable, Equatable, Encodable {
        /// ε spent by the run so far at ``delta`` (infinite without noise; written as null).
        public var epsilon: Double
        /// The δ of ``epsilon``.
        public var delta: Double
        /// The clip this round used.
        public var clip: Double
        /// Updates longer than the clip; nil when the scheduler cannot know (secure aggregation:
        /// the workers clip).
        public var clipped: Int?
        /// Standard deviation of the noise added to the sum of clipped changes.
        public var noise: Double
        /// Local DP: the ε at ``delta`` of what one worker sent, had it taken part in every
        /// round so far (the Gaussian mechanism on its clipped change, composed); nil without.
        public var localEpsilon: Double? = nil
        /// Secure aggregation: ε at ``delta`` against the scheduler itself, which sees who took
        /// part (no sampling amplification); nil without.
        public var epsilonAgainstScheduler: Double? = nil
        /// Under `privacy.accountant: both`, RDP's ε beside ``epsilon`` (the PLD's); nil otherwise.
        public var rdpEpsilon: Double? = nil

        /// "ε 1.23 at δ 1e-05, clip 0.85 (3 clipped)" for the round line.
        public var summary: String {
            (epsilon.isFinite ? String(format: "ε %.2f at δ %g", epsilon, delta) : "ε ∞ (no central noise)")
                + (rdpEpsilon.map { $0.isFinite && epsilon.isFinite ? String(format: " (PLD; RDP %.2f)", $0) : "" } ?? "")
                + (epsilonAgainstScheduler.map { $0.isFinite ? String(format: " (%.2f against the scheduler)", $0) : " (∞ against the scheduler)" } ?? "")
                + (localEpsilon.map { String(format: ", local ε %.2f", $0) } ?? "")
                + String(format: ", clip %.3g", clip) + (clipped.map { " (\($0) clipped)" } ?? " (on the workers)")
        }

        private enum CodingKeys: String, CodingKey { case epsilon, delta, clip, clipped, noise, localEpsilon, epsilonAgainstScheduler, rdpEpsilon }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if epsilon.isFinite { try container.encode(epsilon, forKey: .epsilon) } else { try container.encodeNil(forKey: .epsilon) }
            try container.encode(delta, forKey: .delta)
            try container.encode(clip, forKey: .clip)
            try container.encodeIfPresent(clipped, forKey: .clipped)
            try container.encode(noise, forKey: .noise)
            if let localEpsilon, localEpsilon.isFinite { try container.encode(localEpsilon, forKey: .localEpsilon) }
            if let epsilonAgainstScheduler, epsilonAgainstScheduler.isFinite {
                try container.encode(epsilonAgainstScheduler, forKey: .epsilonAgainstScheduler)
            }
            if let rdpEpsilon, rdpEpsilon.isFinite { try container.encode(rdpEpsilon, forKey: .rdpEpsilon) }
        }
    }

    /// The staleness of the updates an asynchronous period applied.
    public struct StalenessSummary: Sendable, Equatable, Encodable {
        /// Server steps in the period.
        public var steps: Int
        /// Mean staleness of the applied updates (0 when none).
        public var mean: Double
        /// Largest staleness of an applied update.
        public var maximum: Int
        /// Updates dropped for being more than `training.max_staleness` steps old.
        public var dropped: Int

        /// A period's summary.
        public init(steps: Int, mean: Double, maximum: Int, dropped: Int) {
            self.steps = steps
            self.mean = mean
            self.maximum = maximum
            self.dropped = dropped
        }
    }

    /// The sample-weighted mean of the non-negative losses in `reports` (loss, samples), if any.
    static func meanTrainingLoss(_ reports: [(loss: Double?, samples: UInt64)]) -> Double? {
        let reporting = reports.compactMap { report in report.loss.flatMap { $0 >= 0 ? ($0, Double(report.samples)) : nil } }
        let samples = reporting.reduce(0) { $0 + $1.1 }
        return samples > 0 ? reporting.reduce(0) { $0 + $1.0 * $1.1 } / samples : nil
    }

    private enum CodingKeys: String, CodingKey {
        case round, sampled, received, late, aggregated, accuracy, loss, seconds, evaluationSeconds, aggregationSeconds, virtualSeconds, virtualTime, federated, trainLoss,
             contributors, staleness, privacy, secure, custom, nonFinite, outsideEpsilon, withheld
    }

    /// The fields as `metrics.jsonl` has them. A number that is not finite (a model whose test
    /// loss overflowed) is written as null and named in `nonFinite`: JSON has no NaN, and a
    /// round's record must never stop the run. A round not evaluated has no accuracy, loss or
    /// evaluation seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let kept = { (name: String) in !withheld.contains(name) }
        try container.encode(round, forKey: .round)
        if kept("sampled") { try container.encode(sampled, forKey: .sampled) }
        if kept("received") { try container.encode(received, forKey: .received) }
        if kept("late") { try container.encode(late, forKey: .late) }
        try container.encode(aggregated, forKey: .aggregated)
        var nonFinite: [String] = []
        for case let (value?, key) in [(accuracy, CodingKeys.accuracy), (loss, .loss), (seconds, .seconds), (evaluationSeconds, .evaluationSeconds)] {
            if value.isFinite {
                try container.encode(value, forKey: key)
            } else {
                try container.encodeNil(forKey: key)
                nonFinite.append(key.rawValue)
            }
        }
        try container.encodeIfPresent(aggregationSeconds, forKey: .aggregationSeconds)
        try container.encodeIfPresent(virtualSeconds, forKey: .virtualSeconds)
        try container.encodeIfPresent(virtualTime, forKey: .virtualTime)
        if kept("federated") { try container.encodeIfPresent(federated, forKey: .federated) }
        if kept("trainLoss") { try container.encodeIfPresent(trainLoss, forKey: .trainLoss) }
        if kept("contributors") { try container.encode(contributors, forKey: .contributors) }
        try container.encodeIfPresent(staleness, forKey: .staleness)
        var privacy = privacy
        if !kept("privacy.clipped") { privacy?.clipped = nil }
        try container.encodeIfPresent(privacy, forKey: .privacy)
        try container.encodeIfPresent(secure, forKey: .secure)
        try container.encodeIfPresent(custom, forKey: .custom)
        if !nonFinite.isEmpty { try container.encode(nonFinite, forKey: .nonFinite) }
        if !outsideEpsilon.isEmpty { try container.encode(outsideEpsilon, forKey: .outsideEpsilon) }
        if !withheld.isEmpty { try container.encode(withheld, forKey: .withheld) }
    }
}

extension BidirectionalCollection where Element == RoundResult {
    /// The accuracy of the last round evaluated (a run's final accuracy); nil when none was.
    public var lastAccuracy: Double? {
        last { $0.accuracy != nil }?.accuracy
    }
}
