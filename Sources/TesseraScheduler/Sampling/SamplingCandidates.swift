/// The live workers a sampler chooses from, in id order: a collection read on demand, so that
/// choosing 100 of a million registered clients looks at about 100 of them, not the million.
public struct SamplingCandidates: RandomAccessCollection, Sendable {
    public let startIndex = 0
    public let endIndex: Int
    private let candidate: @Sendable (Int) -> SamplingCandidate

    /// `count` candidates, the one at each position given by `candidate`.
    public init(count: Int, candidate: @escaping @Sendable (Int) -> SamplingCandidate) {
        endIndex = count
        self.candidate = candidate
    }

    /// The candidates listed.
    public init(_ candidates: [SamplingCandidate]) {
        self.init(count: candidates.count) { candidates[$0] }
    }

    /// The candidate at `position`.
    public subscript(position: Int) -> SamplingCandidate { candidate(position) }
}
