/// What went wrong in a secure aggregation round.
public struct SecureAggregationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sentence a user reads.
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    static func tooFew(_ stage: String, have: Int, threshold: Int) -> SecureAggregationError {
        SecureAggregationError("\(stage): \(have) participants, fewer than the threshold \(threshold); the round cannot be unmasked")
    }
}
