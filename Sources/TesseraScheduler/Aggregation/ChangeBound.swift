import TesseraNN

/// The floor every strategy stands on: no single update may move the model far more than the
/// others do, for the training behind it. An update's change (its model minus the model it
/// trained from) is judged per its local training: honest changes grow about as the square root
/// of the SGD steps behind them (in a power-law federation of 10,000 MNIST clients, one step
/// moved a client's model 0.14, 256 steps 2.2), so a client holding a hundred times the data is
/// not refused for moving ten times as far. Each change's L2 norm is divided by the square root
/// of its ``Change/steps``; an update whose quotient is over `ratio` times the **reference** is
/// refused, the reference being the lower median of the quotients judged together (a
/// synchronous round's) and of the last ``memory`` accepted before them. The lower median is
/// the smaller middle value, so one huge change out of two (or a minority of any size) never
/// sets its own bar; the first update of a run, alone, is its own reference and passes.
///
/// This stops an update of 1e30s, or one scaled up to outweigh the rest; it does not stop one
/// of ordinary size pointing the wrong way (robust aggregation does). Complexity: sorting the
/// quotients, O(n log n) for n updates judged together.
struct ChangeBound: Sendable {
    /// One update's change, as judged.
    struct Change: Equatable, Sendable {
        /// The L2 norm of the change.
        var norm: Double
        /// The local SGD steps behind it, at least 1, in full batches: a short last batch counts
        /// more (see ``SchedulerMachine/localSteps(claiming:for:)``).
        var steps: Double
    }

    /// How many times the reference a change may be, per step (0: no bound).
    let ratio: Double
    /// Quotients (norm over √steps) of the last accepted changes, oldest first.
    private(set) var recent: [Double] = []
    /// How many accepted quotients are remembered.
    static let memory = 10

    init(ratio: Double) {
        self.ratio = ratio
    }

    /// Judges `changes` together: for each, the largest norm allowed for its steps (infinity
    /// with no bound) and whether its norm is within it. Those accepted are remembered.
    mutating func judge(_ changes: [Change]) -> (limits: [Double], accepted: [Bool]) {
        let quotients = changes.map { $0.norm / max(1, $0.steps).squareRoot() }
        let pool = (recent + quotients).filter(\.isFinite).sorted()
        let reference = pool.isEmpty ? 0 : pool[(pool.count - 1) / 2]
        let limits = changes.map { ratio > 0 ? ratio * reference * max(1, $0.steps).squareRoot() : .infinity }
        let accepted = zip(changes, limits).map { $0.norm.isFinite && $0.norm <= $1 }
        for (quotient, isAccepted) in zip(quotients, accepted) where isAccepted { recent.append(quotient) }
        recent.removeFirst(max(0, recent.count - Self.memory))
        return (limits, accepted)
    }
}
