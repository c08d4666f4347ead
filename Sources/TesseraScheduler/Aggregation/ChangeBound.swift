import TesseraNN

/// The floor every strategy stands on: no single update may move the model far more than the
/// others do. An update whose change (its model minus the model it trained from) has an L2 norm
/// over `ratio` times the **reference** is refused, the reference being the lower median of the
/// norms of the updates judged together (a synchronous round's) and of the last
/// ``memory`` accepted before them. The lower median is the smaller middle value, so one huge
/// change out of two (or a minority of any size) never sets its own bar; the first update of a
/// run, alone, is its own reference and passes.
///
/// This stops an update of 1e30s, or one scaled up to outweigh the rest; it does not stop one
/// of ordinary size pointing the wrong way (robust aggregation does). Complexity: sorting the
/// norms, O(n log n) for n updates judged together.
struct ChangeBound: Sendable {
    /// How many times the reference a change may be (0: no bound).
    let ratio: Double
    /// Norms of the last accepted changes, oldest first.
    private(set) var recent: [Double] = []
    /// How many accepted norms are remembered.
    static let memory = 10

    init(ratio: Double) {
        self.ratio = ratio
    }

    /// Judges the changes of norms `norms` together: the largest norm allowed (infinity with no
    /// bound) and, for each, whether it is within it. Those accepted are remembered.
    mutating func judge(_ norms: [Double]) -> (limit: Double, accepted: [Bool]) {
        let pool = (recent + norms).filter(\.isFinite).sorted()
        let limit = ratio > 0 ? ratio * (pool.isEmpty ? 0 : pool[(pool.count - 1) / 2]) : .infinity
        let accepted = norms.map { $0.isFinite && $0 <= limit }
        for (norm, isAccepted) in zip(norms, accepted) where isAccepted { recent.append(norm) }
        recent.removeFirst(max(0, recent.count - Self.memory))
        return (limit, accepted)
    }
}
