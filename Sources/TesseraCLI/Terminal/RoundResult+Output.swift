import Foundation
import TesseraScheduler

extension RoundResult {
    /// The round's terminal line; `sinceStart`: seconds since the launch began, when known.
    func line(sinceStart: Double? = nil) -> String {
        if let staleness {
            return String(format: "step %d: %@, %.1f s%@%@, %d updates from %d tasks, staleness mean %.1f max %d%@",
                          round, evaluationSummary as NSString, seconds,
                          sinceStart.map { String(format: " (%.1f s since start)", $0) as NSString } ?? "" as NSString,
                          virtualSummary as NSString,
                          received, sampled, staleness.mean, staleness.maximum,
                          late > 0 ? " (\(late) failed or dropped, \(staleness.dropped) stale)" as NSString : "" as NSString)
        }
        return String(format: "round %d: %@, %.1f s%@%@, workers %d/%d%@%@%@%@%@", round, evaluationSummary as NSString, seconds,
               sinceStart.map { String(format: " (%.1f s since start)", $0) as NSString } ?? "" as NSString,
               virtualSummary as NSString,
               received, sampled, late > 0 ? " (\(late) late or refused)" as NSString : "" as NSString,
               federated.map { "; \($0.summary)" as NSString } ?? "" as NSString,
               secure.map { "; \($0.summary)" as NSString } ?? "" as NSString,
               privacy.map { "; \($0.summary)" as NSString } ?? "" as NSString,
               customSummary as NSString)
    }

    /// "accuracy 97.12%, loss 0.0934", or "not evaluated" (`training.evaluate_every`).
    private var evaluationSummary: String {
        guard let accuracy else { return "not evaluated" }
        return String(format: "accuracy %.2f%%, loss %.4f", accuracy * 100, loss ?? .nan)
    }

    /// On virtual time: ", virtual 12.3 s (at 4.1 min)" ("" on the wall clock).
    private var virtualSummary: String {
        guard let virtualSeconds, let virtualTime else { return "" }
        let at = virtualTime >= 3_600 ? String(format: "%.2f h", virtualTime / 3_600)
            : virtualTime >= 60 ? String(format: "%.1f min", virtualTime / 60) : String(format: "%.1f s", virtualTime)
        return String(format: ", virtual %.1f s (at %@)", virtualSeconds, at as NSString)
    }

    /// The evaluation hook's figures, as "; name value, ..." in name order ("" without them).
    private var customSummary: String {
        guard let custom, !custom.isEmpty else { return "" }
        return "; " + custom.sorted { $0.key < $1.key }.map { String(format: "%@ %.4g", $0.key as NSString, $0.value) }.joined(separator: ", ")
    }

    /// The round as one `--json` object's fields.
    func jsonFields(sinceStart: Double? = nil) -> KeyValuePairs<String, Any> {
        ["round": round, "accuracy": accuracy ?? Double.nan, "loss": loss ?? Double.nan, "seconds": seconds, "since_start": sinceStart ?? Double.nan,
         "sampled": sampled, "received": received, "late": late, "aggregated": aggregated,
         "federated_accuracy": federated?.accuracy ?? Double.nan, "mean_staleness": staleness?.mean ?? Double.nan,
         "epsilon": privacy?.epsilon ?? Double.nan, "virtual_seconds": virtualSeconds ?? Double.nan, "virtual_time": virtualTime ?? Double.nan]
    }
}
