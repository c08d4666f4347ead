import Foundation
import TesseraData
import TesseraNN
import TesseraTensor
import TesseraWire

/// A worker's federated client: its private shard and model architecture (from the welcome),
/// and the training it does for each task.
public struct LocalTrainer: Sendable {
    /// The run settings from the welcome.
    public let configuration: ClientConfiguration
    /// This client's private training data.
    public let shard: Dataset
    /// This client's held-out data for federated evaluation (`heldOutFraction` of its part,
    /// chosen by a seeded shuffle, never trained on); empty when the run holds none out.
    public let heldOut: Dataset
    /// The entries of the model this client keeps across rounds (FedBN).
    let own: ClientOwnEntries

    /// Loads the data named by `configuration` and takes this client's shard.
    ///
    /// - Throws: ``/TesseraData/DataError`` when the data cannot be loaded or split, ``/TesseraNN/NNError`` when the
    ///   model does not validate, ``WorkerError`` (`.invalidConfiguration`) for a client index or
    ///   held-out fraction out of range.
    public init(configuration: ClientConfiguration) throws {
        try self.init(configuration: configuration, partition: nil)
    }

    /// This client's shard of a partition loaded for all the clients of its process (nil:
    /// loaded for it alone).
    ///
    /// - Throws: as ``init(configuration:)``, and ``WorkerError`` (`.invalidConfiguration`)
    ///   for a partition of another run's data.
    public init(configuration: ClientConfiguration, partition: SharedPartition?) throws {
        try Self.checkSettings(of: configuration)
        // Only this client's samples are read: the labels (and client column) decide which.
        let partition = try partition ?? SharedPartition(configuration)
        try Self.check(configuration, against: partition)
        let share = partition.shares[configuration.clientIndex]
        shard = try partition.data.training(share.trained)
        heldOut = try partition.data.training(share.heldOut)
        own = ClientOwnEntries(names: configuration.localNormalization.names(in: configuration.model))
        self.configuration = configuration
    }

    /// Checks what `configuration` asks of a client, before any data is read.
    ///
    /// - Throws: ``/TesseraNN/NNError`` when the model does not validate, ``WorkerError``
    ///   (`.invalidConfiguration`) for a client index or held-out fraction out of range.
    static func checkSettings(of configuration: ClientConfiguration) throws {
        try configuration.model.validate()
        guard configuration.clientIndex >= 0, configuration.clientIndex < configuration.clients else {
            throw WorkerError.invalidConfiguration("client index \(configuration.clientIndex) is outside 0..<\(configuration.clients)")
        }
        guard configuration.heldOutFraction >= 0 && configuration.heldOutFraction < 1 else {
            throw WorkerError.invalidConfiguration("held-out fraction \(configuration.heldOutFraction) is outside [0, 1)")
        }
    }

    /// Checks that `partition` has a share for `configuration`'s client.
    ///
    /// - Throws: ``WorkerError`` (`.invalidConfiguration`) when it has not.
    static func check(_ configuration: ClientConfiguration, against partition: SharedPartition) throws {
        guard partition.shares.indices.contains(configuration.clientIndex) else {
            throw WorkerError.invalidConfiguration("the data is split among \(partition.shares.count) clients, not \(configuration.clients)")
        }
    }

    /// Evaluates the task's weights, with this client's own entries (FedBN), on the held-out data.
    ///
    /// - Throws: ``WorkerError`` (`.noHeldOutData`) when this client holds no data out, ``/TesseraNN/NNError`` when the
    ///   weights do not fit the model.
    public func evaluate(_ task: EvaluateTask) throws -> EvaluationResult {
        guard heldOut.count > 0 else {
            throw WorkerError.noHeldOutData
        }
        let model = try Model(spec: configuration.model, parameters: try own.applied(to: task.parameters()))
        let evaluation = try model.evaluate(Batches(heldOut, batchSize: 256))
        return EvaluationResult(round: task.round, sampleCount: UInt64(evaluation.count),
                                correctCount: UInt64((evaluation.accuracy * Double(evaluation.count)).rounded()),
                                loss: evaluation.loss)
    }

    /// Trains the task's weights on the shard and returns the update (new weights, sample
    /// count, mean loss, seconds). Shuffling is seeded by round and client, so a run repeats.
    ///
    /// - Throws: ``/TesseraNN/NNError`` when the weights do not fit the model, ``WorkerError``
    ///   (`.invalidHyperparameters`).
    public func train(_ task: TrainTask) throws -> TrainUpdate {
        let start = Date()
        let settings: Hyperparameters
        do {
            settings = try JSONDecoder().decode(Hyperparameters.self, from: Data(task.hyperparameters.utf8))
        } catch {
            throw WorkerError.invalidHyperparameters("not the JSON of docs/PROTOCOL.md: \(error)")
        }
        guard settings.epochs >= 1, settings.batchSize >= 1, settings.learningRate > 0, settings.proximalMu >= 0,
              settings.localClip >= 0, settings.localNoise >= 0, settings.localNoise == 0 || settings.localClip > 0,
              settings.weightDecay >= 0, settings.gradientClip >= 0 else {
            throw WorkerError.invalidHyperparameters("epochs and batch size must be >= 1, the learning rate positive, mu, weight decay and gradient clip >= 0, and local noise needs a positive local clip")
        }
        guard ["float32", "bfloat16"].contains(settings.updatePrecision) else {
            throw WorkerError.invalidHyperparameters("updatePrecision is \(settings.updatePrecision); it must be float32 or bfloat16")
        }
        let optimizer: OptimizerChoice
        do {
            optimizer = try OptimizerChoice(named: settings.optimizer, learningRate: settings.learningRate, momentum: settings.momentum,
                                            weightDecay: settings.weightDecay)
        } catch {
            throw WorkerError.invalidHyperparameters("\(error)")
        }
        let global = try task.parameters()
        // FedBN: training starts from this client's own normalization, not the global one.
        let initial = try own.applied(to: global)
        // A fresh optimizer each task: its moments start from zero on every round's model.
        var trainer = Trainer(model: try Model(spec: configuration.model, parameters: initial), optimizer: optimizer,
                              seed: task.round &* 1_000_003 &+ UInt64(configuration.clientIndex))
        trainer.gradientClip = settings.gradientClip
        if settings.proximalMu > 0 { trainer.proximal = (settings.proximalMu, initial) }
        var lossSum = 0.0
        for epoch in 0..<settings.epochs {
            let seed = (task.round &* 7_919 &+ UInt64(epoch)) &* 104_729 &+ UInt64(configuration.clientIndex)
            lossSum += try trainer.train(Batches(shard, batchSize: settings.batchSize, shuffleSeed: seed))
        }
        // What stays here is kept, and goes back as the global values: no change to share.
        own.keep(from: trainer.model.parameters)
        var trained = try trainer.model.parameters.replacing(own.names, from: global)
        if settings.localClip > 0 {
            // DP: only a clipped (and, with local noise, noised) change leaves this worker.
            var (change, _) = try trained.subtracting(global).clipped(toNorm: Double(settings.localClip))
            // In a secure round the noise is added after the fixed-point encoding, as integers
            // (SecureAggregationSession), so that no float's low bits carry the value.
            if settings.localNoise > 0 && settings.secureThreshold == 0 {
                var entropy = SystemEntropy()
                change = try GaussianNoise.added(to: change, standardDeviation: Double(settings.localNoise * settings.localClip), using: &entropy)
            }
            trained = global
            try trained.add(change, scaledBy: 1)
        }
        // bfloat16: the change from the task's model goes back, each value rounded (half the bytes).
        let isDelta = settings.updatePrecision == "bfloat16"
        // Paired by position once the names and shapes are known to be the task's, in its order.
        if isDelta { try trained.checkCompatible(with: global, operation: "bfloat16 change") }
        let weights = isDelta ? try zip(trained.namedTensors, global.tensors).map { trained, base in
            NamedTensor(name: trained.name, tensor: try trained.tensor.bfloat16Change(from: base))
        } : trained.namedTensors
        return TrainUpdate(round: task.round, modelVersion: task.modelVersion, sampleCount: UInt64(shard.count),
                           isDelta: isDelta,
                           metrics: ["loss": lossSum / Double(settings.epochs), "seconds": Date().timeIntervalSince(start)],
                           weights: weights)
    }
}
