import Foundation
import TesseraSecureAggregation
import TesseraWire

/// The steps of a secure round after its train task (docs/PROTOCOL.md, "Secure aggregation"):
/// which answer the scheduler waits for, from whom, until when, and the protocol's server that
/// checks each answer. The keys come as answers to the train task (its ``TaskGather``); each
/// later stage asks the workers still in the protocol, every one with a step of its own
/// message id, and closes when all answered or failed, or at its deadline.
struct SecureAggregationRound {
    /// What the scheduler waits for.
    enum Stage: String, Sendable {
        case keys, shares, maskedInputs = "masked inputs", consistency, unmasking

        /// The step that answers this stage.
        var answer: SecureAggregationStep.Kind {
            switch self {
            case .keys: .keys
            case .shares: .shares
            case .maskedInputs: .maskedInput
            case .consistency: .consistency
            case .unmasking: .unmasking
            }
        }
    }

    /// Each worker's neighbours (SecAgg+), 0: every other worker.
    let neighbours: Int
    /// The protocol's server side.
    private(set) var server: SecureAggregationServer
    /// The stage in progress.
    private(set) var stage = Stage.keys
    /// When the stage in progress gives up on those that have not answered (the keys' is the
    /// train task's).
    private(set) var deadline: Double
    /// The workers asked in this stage: the id of the step each was sent (its answer replies
    /// to it) and when.
    private(set) var asked: [String: (id: UInt64, at: Double)] = [:]
    private var answered: Set<String> = []
    private var failed: Set<String> = []
    /// How many answered each stage so far, in order.
    private(set) var counts: [Stage: Int] = [:]
    /// The weight each masked input was multiplied by, as its worker said beside it.
    private(set) var weights: [String: Double] = [:]
    /// Whether every key in the roster was signed: its workers then check the survivors
    /// (the consistency stage) before they unmask.
    private(set) var signed = false
    /// The survivors' signatures of the survivors, by id (the consistency stage's answers).
    private(set) var survivorSignatures: [String: Data] = [:]

    /// A secure round `round` over inputs of `length` elements whose secrets take `threshold`
    /// shares; its keys are due by `deadline`.
    init(round: Int, threshold: Int, length: Int, neighbours: Int = 0, deadline: Double) {
        server = SecureAggregationServer(round: UInt64(round), threshold: threshold, length: length, degree: neighbours)
        self.neighbours = neighbours
        self.deadline = deadline
    }

    /// The shares that rebuild a secret.
    var threshold: Int { server.threshold }

    /// Records `worker`'s keys, answering the train task.
    ///
    /// - Throws: ``SchedulerError`` (`.unusableStep`) for keys that are not the worker's own, or
    ///   malformed; ``/TesseraSecureAggregation/SecureAggregationError`` for keys the protocol refuses.
    mutating func collectKeys(_ step: SecureAggregationStep, from worker: String) throws {
        let advertisement = try Self.decode(KeyAdvertisement.self, step, from: worker)
        guard advertisement.id == worker else {
            throw SchedulerError.unusableStep(worker: worker, step: step.kind.name, reason: "the keys name another worker, \(advertisement.id)")
        }
        try server.collect(advertisement)
        counts[.keys, default: 0] += 1
    }

    /// The roster: every worker whose keys came, sorted.
    ///
    /// - Throws: ``/TesseraSecureAggregation/SecureAggregationError`` when they are fewer than the threshold.
    mutating func publishRoster() throws -> [KeyAdvertisement] {
        let roster = try server.roster()
        signed = roster.allSatisfy { $0.signature != nil }
        return roster
    }

    /// Starts `stage`: `workers` were each sent a step, with those message ids, at `now`.
    mutating func begin(_ stage: Stage, asked workers: [(id: String, message: UInt64)], at now: Double, deadline: Double) {
        self.stage = stage
        self.deadline = deadline
        asked = Dictionary(uniqueKeysWithValues: workers.map { ($0.id, (id: $0.message, at: now)) })
        answered = []
        failed = []
    }

    /// Whether `worker` was asked in this stage and owes its answer.
    func isPending(_ worker: String) -> Bool {
        asked[worker] != nil && !answered.contains(worker) && !failed.contains(worker)
    }

    /// The workers that owe an answer.
    var pending: [String] { asked.keys.filter(isPending).sorted() }

    /// Whether every worker asked answered or failed.
    var isComplete: Bool { answered.count + failed.count == asked.count }

    /// Records `worker`'s answer to the stage in progress; a masked input's weight must be a
    /// whole number from 0 to `weightLimit` (nil: any), or exactly 1 in a private round
    /// (`unitWeight`).
    ///
    /// - Throws: ``SchedulerError`` (`.unusableStep`) for an answer of another step or round, a
    ///   body that is not its JSON, or a weight beyond what the worker may claim;
    ///   ``/TesseraSecureAggregation/SecureAggregationError`` for one the protocol refuses.
    mutating func collect(_ step: SecureAggregationStep, from worker: String, weightLimit: UInt64? = nil, unitWeight: Bool = false) throws {
        guard step.round == server.round, step.kind == stage.answer else {
            throw SchedulerError.unusableStep(worker: worker, step: step.kind.name,
                                              reason: "round \(step.round)'s \(step.kind.name) does not answer this step (\(stage.answer.name) for round \(server.round))")
        }
        switch stage {
        case .keys: return try collectKeys(step, from: worker)
        case .shares: try server.collect(shares: try Self.decode([EncryptedShare].self, step, from: worker), from: worker)
        case .maskedInputs:
            // Its weight, checked against what the worker may claim, and whom it is masked with
            // (docs/PROTOCOL.md).
            let note = try Self.decode(MaskedInputNote.self, step, from: worker)
            let weight = note.weight
            guard unitWeight ? weight == 1 : weight >= 0 && weight == weight.rounded() && weight <= Double(weightLimit ?? UInt64(Int64.max)) else {
                throw SchedulerError.unusableStep(worker: worker, step: step.kind.name, reason: unitWeight
                    ? "its input weighs \(weight); a private round's inputs weigh 1"
                    : "its input weighs \(weight); it may claim a whole number of samples up to \(weightLimit.map(String.init) ?? "any")")
            }
            try server.collect(masked: step.vector, from: worker, maskedWith: note.maskedWith)
            weights[worker] = weight
        case .consistency:
            let signature = try Self.decode(SurvivorsSignature.self, step, from: worker)
            guard signature.id == worker else {
                throw SchedulerError.unusableStep(worker: worker, step: step.kind.name, reason: "the signature names another worker, \(signature.id)")
            }
            survivorSignatures[worker] = signature.signature
        case .unmasking:
            let revealed = try Self.decode(UnmaskingShares.self, step, from: worker)
            guard revealed.id == worker else {
                throw SchedulerError.unusableStep(worker: worker, step: step.kind.name, reason: "the shares name another worker, \(revealed.id)")
            }
            try server.collect(revealed)
        }
        answered.insert(worker)
        counts[stage, default: 0] += 1
    }

    /// Records that `worker` failed the stage (an error, garbage, silence).
    mutating func fail(_ worker: String) {
        if asked[worker] != nil { failed.insert(worker) }
    }

    /// Encodes a step's JSON body.
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ step: SecureAggregationStep, from worker: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(step.body.utf8))
        } catch {
            throw SchedulerError.unusableStep(worker: worker, step: step.kind.name, reason: "its body is not the JSON of docs/PROTOCOL.md: \(error)")
        }
    }
}
