import Foundation

/// How far registration, or joining after it, got in a run of many workers: said every tenth
/// of them, so that a wait for a million registrations (and their welcomes) shows it is moving.
public struct RegistrationProgress: Sendable, Equatable {
    /// What the workers counted did.
    public enum Stage: String, Sendable {
        /// They registered.
        case registered
        /// They answered their welcome: their share of the data is loaded.
        case joined
    }

    /// Workers registered (or joined) so far.
    public let count: Int
    /// Workers the run waits for.
    public let expected: Int
    /// Seconds since the scheduler started waiting for registrations (or since joining began).
    public let seconds: Double
    /// Which wait this is.
    public var stage = Stage.registered

    /// The progress as a line: "5000 of 10000 workers registered in 2.1 s, 2381 a second".
    public var line: String {
        let rate = seconds > 0 ? String(format: ", %.0f a second", Double(count) / seconds) : ""
        return "\(count) of \(expected) workers \(stage.rawValue) in \(String(format: "%.1f", seconds)) s\(rate)"
    }

    /// Whether `count` of `expected` is a tenth more than the last said: every tenth, and the
    /// last. Runs of a hundred workers or fewer say none.
    static func isDue(_ count: Int, of expected: Int) -> Bool {
        expected > 100 && (count % (expected / 10) == 0 || count == expected)
    }
}
