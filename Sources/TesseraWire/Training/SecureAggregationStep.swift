/// One step of a secure aggregation round (docs/PROTOCOL.md, "Secure aggregation"): the
/// structured parts travel as JSON in ``body`` (keys, the roster, encrypted shares, the
/// survivors, unmasking shares), a masked input as ``vector``, elements of Z/2^64 in a payload
/// frame of their own.
public struct SecureAggregationStep: Sendable, Equatable {
    /// Which step, and who sends it.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// Worker → scheduler: its two public keys.
        case keys = 1
        /// Scheduler → worker: every participant's keys.
        case roster = 2
        /// Worker → scheduler: its encrypted shares, one per other participant.
        case shares = 3
        /// Scheduler → worker: the shares the others sent it.
        case relayedShares = 4
        /// Worker → scheduler: its masked input (``vector``).
        case maskedInput = 5
        /// Scheduler → worker: the participants whose masked input arrived.
        case survivors = 6
        /// Worker → scheduler: the shares it reveals for the unmasking.
        case unmasking = 7
        /// Worker → scheduler, instead of unmasking when its keys are signed: its signature of
        /// the survivors it was sent (the consistency check).
        case consistency = 8
        /// Scheduler → worker: the survivors' signatures of the survivors, by id.
        case signatures = 9

        /// How logs and traces name it.
        public var name: String {
            switch self {
            case .keys: "secagg keys"
            case .roster: "secagg roster"
            case .shares: "secagg shares"
            case .relayedShares: "secagg relayed shares"
            case .maskedInput: "secagg masked input"
            case .survivors: "secagg survivors"
            case .unmasking: "secagg unmasking"
            case .consistency: "secagg consistency"
            case .signatures: "secagg signatures"
            }
        }

        /// Whether the scheduler sends it (and a worker answers it with the next step).
        public var isRequest: Bool { [.roster, .relayedShares, .survivors, .signatures].contains(self) }
    }

    /// The federated round.
    public var round: UInt64
    /// The step.
    public var kind: Kind
    /// The step's JSON; for a masked input, the ids it is masked with (empty: every other
    /// participant that shared keys).
    public var body: String
    /// The masked input's elements (empty for the other steps).
    public var vector: [UInt64]

    /// A step of `round`.
    public init(round: UInt64, kind: Kind, body: String = "", vector: [UInt64] = []) {
        (self.round, self.kind, self.body, self.vector) = (round, kind, body, vector)
    }
}
