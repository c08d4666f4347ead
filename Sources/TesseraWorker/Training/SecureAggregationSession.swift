import Foundation
import TesseraNN
import TesseraSecureAggregation
import TesseraTensor
import TesseraWire

/// A worker's part of one secure aggregation round (docs/PROTOCOL.md, "Secure aggregation"):
/// its trained update, encoded for the sum (every weight times its weight in fixed point, so the
/// sum gives the FedAvg numerator; the weight is said beside it), never sent in the clear;
/// the protocol's client answering each step the scheduler sends. The weight is the sample
/// count, or 1 for a clipped update (DP-FedAvg weighs every client equally).
struct SecureAggregationSession {
    /// The round.
    let round: UInt64
    /// The id of the train task it answers (its steps reply to the scheduler's steps).
    let taskID: UInt64
    private var client: SecureAggregationClient
    /// What it masks: the update in fixed point, times its weight, with its share of the noise
    /// in a private round.
    let input: [UInt64]
    /// The weight the input was multiplied by, said in the clear beside the masked input.
    let weight: Double
    private var next: SecureAggregationStep.Kind = .roster
    /// SecAgg+'s degree (0: every other participant).
    private let neighbours: Int
    /// The participants whose shares did not open for this worker, and why.
    private(set) var left: [String] = []

    /// A session for `update` (trained for task `taskID` with `settings`) of worker `id`, signing
    /// its keys and checking the others' with `identity` when it has one.
    ///
    /// - Throws: ``/TesseraSecureAggregation/SecureAggregationError`` for weights that cannot be encoded.
    init(update: TrainUpdate, taskID: UInt64, workerID id: String, settings: Hyperparameters, identity: SigningIdentity? = nil) throws {
        round = update.round
        self.taskID = taskID
        client = SecureAggregationClient(id: id, round: update.round, threshold: settings.secureThreshold, identity: identity)
        neighbours = settings.secureNeighbours
        let values = update.weights.flatMap(\.tensor.scalars)
        let weight = settings.localClip > 0 ? 1 : Double(update.sampleCount)
        var encoded = try FixedPoint.updates.encode(values, times: weight)
        if settings.localNoise > 0 {
            // DP-FedAvg's share of the noise, drawn as integers in the fixed point's units (a
            // discrete Gaussian of localNoise × localClip): the noised input has no low bits
            // that a float's rounding would have left.
            var entropy = SystemEntropy()
            let noise = DiscreteGaussian.draws(encoded.count, standardDeviation: Double(settings.localNoise * settings.localClip) / FixedPoint.updates.precision,
                                               using: &entropy)
            for index in encoded.indices { encoded[index] &+= UInt64(bitPattern: noise[index]) }
        }
        input = encoded
        self.weight = weight
    }

    /// Whether it has answered its last step (its unmasking shares).
    var isFinished: Bool { next == .keys }

    /// The first step: this worker's keys.
    func keys() throws -> Message {
        .secureAggregation(SecureAggregationStep(round: round, kind: .keys, body: try Self.json(client.advertise())))
    }

    /// The answer to the scheduler's `step`: shares for a roster, the masked input once the
    /// shares are relayed, the unmasking shares for the survivors.
    ///
    /// - Throws: ``WorkerError`` for a step out of turn, of another round, or that the
    ///   protocol refuses.
    mutating func answer(_ step: SecureAggregationStep, worker: String) throws -> Message {
        guard step.round == round, step.kind == next else {
            throw WorkerError.secureAggregation(worker: worker, reason: "\(step.kind.name) for round \(step.round) out of turn (expected \(next.name) for round \(round))")
        }
        do {
            switch step.kind {
            case .roster:
                let shares = try client.shareKeys(roster: try Self.decode([KeyAdvertisement].self, step.body), degree: neighbours)
                next = .relayedShares
                return .secureAggregation(SecureAggregationStep(round: round, kind: .shares, body: try Self.json(shares)))
            case .relayedShares:
                // A participant whose share does not open is left out of this input's masks (and
                // of the round, by the scheduler), not allowed to stop it.
                let excluded = client.receive(try Self.decode([EncryptedShare].self, step.body))
                left = excluded.map { "\($0.sender): \($0.reason)" }
                next = .survivors
                return .secureAggregation(SecureAggregationStep(round: round, kind: .maskedInput, body: try Self.json(MaskedInputNote(weight: weight, maskedWith: client.maskedWith)),
                                                                vector: try client.mask(input)))
            case .survivors where client.signs:
                // The consistency check first: its signature of the list, then the others'.
                let signature = try client.signSurvivors(try Self.decode([String].self, step.body))
                next = .signatures
                return .secureAggregation(SecureAggregationStep(round: round, kind: .consistency, body: try Self.json(signature)))
            case .survivors:
                let revealed = try client.unmask(survivors: try Self.decode([String].self, step.body))
                next = .keys
                return .secureAggregation(SecureAggregationStep(round: round, kind: .unmasking, body: try Self.json(revealed)))
            case .signatures:
                let revealed = try client.unmask(signatures: try Self.decode([String: Data].self, step.body))
                next = .keys
                return .secureAggregation(SecureAggregationStep(round: round, kind: .unmasking, body: try Self.json(revealed)))
            default:
                throw WorkerError.secureAggregation(worker: worker, reason: "a worker is not sent \(step.kind.name)")
            }
        } catch let error as WorkerError {
            throw error
        } catch {
            throw WorkerError.secureAggregation(worker: worker, reason: "\(error)")
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}
