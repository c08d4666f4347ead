import Foundation

/// How far registration got in a run of many workers: said every tenth of them, so that a
/// wait for a million registrations shows it is moving.
public struct RegistrationProgress: Sendable, Equatable {
    /// Workers registered so far.
    public let count: Int
    /// Workers the run waits for.
    public let expected: Int
    /// Seconds since the scheduler started waiting.
    public let seconds: Double

    /// The progress as a line: "5000 of 10000 workers registered in 2.1 s, 2381 a second".
    public var line: String {
        let rate = seconds > 0 ? String(format: ", %.0f a second", Double(count) / seconds) : ""
        return "\(count) of \(expected) workers registered in \(String(format: "%.1f", seconds)) s\(rate)"
    }
}
