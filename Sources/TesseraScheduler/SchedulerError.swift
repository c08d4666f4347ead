/// Why a federated run cannot go on: not enough workers, no quorum, a misconfiguration. The
/// description says what to change.
public struct SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence describing the problem.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
