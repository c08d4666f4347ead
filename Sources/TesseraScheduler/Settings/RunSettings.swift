import Foundation
import TesseraData
import TesseraNN
import TesseraTransport
import TesseraWire

/// Every setting of a federated run, each with its default here and its check in
/// ``RunSettings/table``: the one source from which topology keys, `tessera scheduler` and
/// `tessera launch` options, `--help`, `tessera check` and each worker's welcome are derived.
/// Values are checked as they are read and ``validate()`` checks how they fit together, once,
/// before any worker starts.
public struct RunSettings: Sendable, Equatable {
    /// How rounds run.
    public enum Mode: String, Sendable, CaseIterable {
        /// Synchronous rounds: sample, train, aggregate what came by the deadline.
        case sync
        /// FedAsync: each update mixed into the model on arrival.
        case fedasync
        /// FedBuff: every `bufferSize` updates, one server step.
        case fedbuff

        /// Whether updates are applied as they come instead of in rounds.
        public var isAsynchronous: Bool { self != .sync }
    }

    /// How staleness discounts an update in the asynchronous modes (``StalenessFunction``).
    public enum Staleness: String, Sendable, CaseIterable {
        case constant, polynomial, hinge
    }

    /// How a private run's ε is computed from the rounds it released.
    public enum Accountant: String, Sendable, CaseIterable {
        /// Rényi DP composed over orders, converted at the best one: fast, looser.
        case rdp
        /// The privacy loss distribution: tight, slower with many rounds.
        case pld
        /// ε by the PLD, with RDP's figure beside it in the round line and metrics.
        case both
    }

    /// How updates become the next global model.
    public enum Strategy: String, Sendable, CaseIterable {
        case fedavg, fedavgm, fedprox, fedadam, fedyogi
    }

    /// Where the scheduler binds.
    public var bind = "tcp://127.0.0.1:0"
    /// Workers (clients) expected before round 1.
    public var workers = 1
    /// An MNIST directory or a data file (as the workers see it), "synthetic", "synthetic-images",
    /// "synthetic-text", or "auto".
    public var data = "auto"
    /// How the data is read (normalization, test fraction, natural clients, CSV columns).
    public var dataOptions = DataOptions()
    /// How the training set is split among the workers.
    public var partition = ClientConfiguration.PartitionKind.iid
    /// Dirichlet concentration.
    public var alpha = 0.5
    /// Label shards per client.
    public var shardsPerClient = 2
    /// Fraction of each worker's data held out for federated evaluation.
    public var heldOut = 0.0
    /// The architecture.
    public var model = ModelSpec.mnistCNN
    /// How rounds run.
    public var mode = Mode.sync
    /// The clock rounds are reckoned on.
    public var clock = SimulationClock.wall
    /// On virtual time: a device file (``DeviceTrace``); empty: devices drawn from the seed.
    public var devices = ""
    /// The aggregation strategy, when it is a built-in one.
    public var strategy = Strategy.fedavg
    /// The name of a strategy a program registered (``StrategyRegistry``), which replaces
    /// ``strategy``; nil: the built-in one.
    public var customStrategy: String?
    /// The name of a client sampler a program registered (``SamplerRegistry``); nil: the uniform draw.
    public var customSampler: String?
    /// The name of an evaluation hook a program registered (``EvaluationHookRegistry``); nil: none.
    public var evaluationHookName: String?
    /// Server learning rate; nil: the strategy's own default (1 for fedavgm, 0.01 for fedadam and fedyogi).
    public var serverLearningRate: Double?
    /// FedAvgM's server momentum.
    public var serverMomentum = 0.9
    /// FedProx's proximal coefficient μ.
    public var mu = 0.01
    /// Rounds to run.
    public var rounds = 3
    /// Fraction C of available workers sampled per round.
    public var fraction = 1.0
    /// At least this many workers per round.
    public var minimumWorkers = 1
    /// Local epochs E.
    public var localEpochs = 1
    /// Local batch size B.
    public var batchSize = 32
    /// The local optimizer's learning rate (the schedule's start).
    public var learningRate = 0.05
    /// The local optimizer.
    public var optimizer = LocalOptimizer.sgd
    /// How workers send their updates: models in float32, or changes in bfloat16.
    public var updatePrecision = UpdatePrecision.float32
    /// SGD's momentum.
    public var momentum = 0.0
    /// Weight decay (L2; decoupled for AdamW).
    public var weightDecay = 0.0
    /// Local gradient clipping by total L2 norm; 0: none.
    public var gradientClip = 0.0
    /// What of batch normalization stays on each client (FedBN).
    public var localNormalization = LocalNormalization.none
    /// How the learning rate changes over the rounds.
    public var learningRateSchedule = LearningRateSchedule.constant
    /// `step` schedule: rounds between decays.
    public var learningRateStepRounds = 10
    /// `step` schedule: the factor of each decay.
    public var learningRateGamma = 0.1
    /// `cosine` schedule: the rate at the last round.
    public var learningRateMinimum = 0.0
    /// Seconds a round waits for updates.
    public var deadline = 600.0
    /// Updates needed to aggregate a round.
    public var quorum = 1
    /// How many times the reference change (the lower median of the changes judged with it and
    /// of recent accepted ones, each per square root of its local steps) an update's change may
    /// be, per square root of its own; 0: no bound.
    public var maxChangeRatio = 10.0
    /// Most samples an update may claim, whatever its worker registered; 0: the largest client
    /// share of the run's data (no bound when the scheduler does not know the data).
    public var maxSamplesPerUpdate = 0
    /// Seed of initialization, sampling and partition.
    public var seed: UInt64 = 1
    /// Workers training at once; 0: one per core when the workers run on this machine, else no cap.
    public var maxConcurrentTrainers = 0
    /// Seconds without any message after which a worker is lost.
    public var heartbeatTimeout = 10.0
    /// Seconds to wait for the expected workers to register.
    public var registrationTimeout = 60.0
    /// Stop after this many seconds of training (after the round or step in progress); 0: no limit.
    public var maxSeconds = 0.0
    /// Asynchronous modes: updates older than this many server steps are dropped.
    public var maxStaleness = 10
    /// FedAsync's mixing weight α of a fresh update.
    public var asyncAlpha = 0.6
    /// Asynchronous modes: how staleness discounts an update.
    public var staleness = Staleness.polynomial
    /// The staleness function's a: the polynomial's exponent, or the hinge's slope.
    public var stalenessA = 0.5
    /// The hinge's b: updates up to this many steps old count fully.
    public var stalenessB = 4.0
    /// FedBuff: updates per server step (K).
    public var bufferSize = 5
    /// Rounds between evaluations of the global model on the test set (and held-out data); in
    /// asynchronous modes, server steps between evaluations, records and checkpoints. The last
    /// round or step is always evaluated.
    public var evaluateEvery = 1
    /// DP-FedAvg: the L2 norm updates' changes are clipped to; 0: off.
    public var clip = 0.0
    /// DP-FedAvg: noise on the clipped sum, in clips.
    public var noiseMultiplier = 0.0
    /// The δ epsilon is reported at.
    public var delta = 1e-5
    /// How ε is computed.
    public var accountant = Accountant.rdp
    /// Adaptive clipping's target quantile; 0: a fixed clip.
    public var targetQuantile = 0.0
    /// Adaptive clipping's learning rate.
    public var clipLearningRate = 0.2
    /// Adaptive clipping's noise on the count within the clip; 0: expected clients / 20.
    public var countNoise = 0.0
    /// Local DP: the noise each worker adds to its clipped change, in clips; 0: none.
    public var localNoise = 0.0
    /// A private run's metrics keep only what ε covers (the model's evaluation and ε itself):
    /// participation, the clipped count, training losses and held-out evaluations are withheld.
    public var privateMetrics = false
    /// Secure aggregation (Bonawitz et al. 2017): the scheduler sees only masked updates and their sum.
    public var secureAggregation = false
    /// SecAgg+ (Bell et al. 2020): workers share with neighbours on a random graph, as many as
    /// `secureNeighbours` or, when that is 0, about 2 log2 n (``secureDegree(participants:)``).
    public var secureSparse = false
    /// Secure aggregation: a secret is rebuilt from the shares of more than this fraction of a
    /// round's participants (at least 2); up to the rest may drop and the round still completes.
    public var secureThreshold = 0.5
    /// Secure aggregation: seconds each step after the keys waits for the workers it asked; one
    /// that has not answered by then is left out (heartbeating or not).
    public var secureStepTimeout = 60.0
    /// Secure aggregation, SecAgg+ (Bell et al. 2020): each worker shares its secrets and masks
    /// with this many neighbours instead of every other participant (0: every other).
    public var secureNeighbours = 0
    /// Continue the run in the run directory from its checkpoint.
    public var resume = false
    /// A directory of CurveZMQ keys (`tessera keys generate`); empty: no encryption.
    public var keys = ""
    /// Run without keys on a non-loopback address, in the clear, on purpose.
    public var insecure = false

    /// The defaults.
    public init() {}

    /// Workers training at once, as the scheduler applies it (no cap for 0).
    public var trainerCap: Int { maxConcurrentTrainers > 0 ? maxConcurrentTrainers : .max }

    /// How many workers a round samples out of `available`.
    func sampleSize(available: Int) -> Int {
        min(available, max(minimumWorkers, Int((fraction * Double(available)).rounded(.up))))
    }

    /// Local training settings, as the train tasks of `round` (or, asynchronously, server step
    /// `round`) carry them.
    public func hyperparameters(round: Int) -> Hyperparameters {
        Hyperparameters(epochs: localEpochs, batchSize: batchSize, learningRate: Float(learningRate(round: round)),
                        optimizer: optimizer.rawValue, momentum: Float(momentum), weightDecay: Float(weightDecay),
                        gradientClip: Float(gradientClip), proximalMu: strategy == .fedprox ? Float(mu) : 0,
                        localClip: localNoise > 0 ? Float(clip) : 0, localNoise: Float(localNoise),
                        updatePrecision: updatePrecision.rawValue)
    }

    /// What client `index` is told in its welcome.
    public func clientConfiguration(index: Int) -> ClientConfiguration {
        ClientConfiguration(model: model, data: data, dataOptions: dataOptions, partition: partition, alpha: alpha, shardsPerClient: shardsPerClient,
                            clients: workers, clientIndex: index, seed: seed, heldOutFraction: heldOut,
                            localNormalization: localNormalization)
    }

    /// The server-side strategy these settings name: a built-in one, or the one a program
    /// registered under ``customStrategy``.
    ///
    /// - Throws: ``/TesseraNN/NNError`` for settings out of range (the table's checks keep them in range),
    ///   ``SettingError`` for a custom strategy this program has not registered, and whatever a
    ///   registered factory throws.
    public func makeStrategy() throws -> any AggregationStrategy {
        if let customStrategy {
            return try StrategyRegistry.store.existing(customStrategy)(self)
        }
        return switch strategy {
        case .fedavg, .fedprox: FedAvg()
        case .fedavgm: try ServerOptimizer.fedAvgM(serverLearningRate: Float(serverLearningRate ?? 1), momentum: Float(serverMomentum))
        case .fedadam: try ServerOptimizer.adaptive(.adam, serverLearningRate: Float(serverLearningRate ?? 0.01))
        case .fedyogi: try ServerOptimizer.adaptive(.yogi, serverLearningRate: Float(serverLearningRate ?? 0.01))
        }
    }

    /// The client sampler these settings name, made by the factory a program registered under
    /// ``customSampler``; nil for the uniform draw.
    ///
    /// - Throws: ``SettingError`` for a sampler this program has not registered, and whatever a
    ///   registered factory throws.
    public func makeClientSampler() throws -> (any ClientSampler)? {
        try customSampler.map { try SamplerRegistry.store.existing($0)(self) }
    }

    /// The evaluation hook these settings name, made by the factory a program registered under
    /// ``evaluationHookName``; nil for none.
    ///
    /// - Throws: ``SettingError`` for a hook this program has not registered, and whatever a
    ///   registered factory throws.
    public func makeEvaluationHook() throws -> EvaluationHook? {
        try evaluationHookName.map { try EvaluationHookRegistry.store.existing($0)(self) }
    }

    /// The staleness function these settings name.
    public var stalenessFunction: StalenessFunction {
        switch staleness {
        case .constant: .constant
        case .polynomial: .polynomial(exponent: stalenessA)
        case .hinge: .hinge(slope: stalenessA, threshold: stalenessB)
        }
    }

    /// Checks how the settings fit together (each alone was checked when read).
    ///
    /// - Throws: ``SettingError`` naming the key at fault.
    public func validate() throws {
        guard quorum <= workers else {
            throw SettingError(key: "training.quorum", value: String(quorum), message: "must be at most workers.count (\(workers))")
        }
        guard minimumWorkers <= workers else {
            throw SettingError(key: "training.min_workers", value: String(minimumWorkers),
                               message: "must be at most workers.count (\(workers))")
        }
        do {
            _ = try model.validate()
        } catch {
            throw SettingError(key: "model", value: model.name, message: "is not a valid architecture: \(error)")
        }
        if mode == .fedasync && (customStrategy != nil || ![.fedavg, .fedprox].contains(strategy)) {
            throw SettingError(key: "training.strategy", value: customStrategy ?? strategy.rawValue,
                               message: "cannot be used with fedasync, which mixes each update into the model itself; use training.mode fedbuff for a server optimizer")
        }
        if let customSampler, mode != .sync {
            throw SettingError(key: "training.sampler", value: customSampler,
                               message: "chooses the workers of synchronous rounds: it needs training.mode sync")
        }
        if let customSampler, isPrivate {
            throw SettingError(key: "training.sampler", value: customSampler,
                               message: "cannot be used in a private run, whose accountant needs its Poisson sampling of clients")
        }
        if !devices.isEmpty && clock != .virtual {
            throw SettingError(key: "simulation.devices", value: devices, message: "needs simulation.clock virtual: devices' speeds are reckoned on virtual time")
        }
        if updatePrecision != .float32 && secureAggregation {
            throw SettingError(key: "training.update_precision", value: updatePrecision.rawValue,
                               message: "does not apply to secure aggregation, whose updates travel as masked integers: use float32, or turn off training.secure_aggregation")
        }
        if clock == .virtual && secureAggregation {
            throw SettingError(key: "simulation.clock", value: clock.rawValue,
                               message: "virtual time does not run secure aggregation's steps yet: turn off training.secure_aggregation")
        }
        if mode.isAsynchronous && heldOut > 0 {
            throw SettingError(key: "data.held_out", value: String(heldOut),
                               message: "must be 0 with training.mode \(mode.rawValue): the workers evaluate on held-out data between synchronous rounds only")
        }
        if clip > 0 && mode != .sync {
            throw SettingError(key: "privacy.clip", value: String(clip),
                               message: "needs training.mode sync: the accountant covers rounds that each sample clients and release one noised sum")
        }
        if localNoise > 0 && (clip == 0 || targetQuantile > 0) {
            throw SettingError(key: "privacy.local_noise", value: String(localNoise),
                               message: "needs a fixed privacy.clip (no target_quantile): workers clip their change to it before adding noise")
        }
        if noiseMultiplier > 0 && clip == 0 {
            throw SettingError(key: "privacy.noise_multiplier", value: String(noiseMultiplier),
                               message: "needs privacy.clip: noise is calibrated to the clip, the most one client can change the sum")
        }
        try validateLocalTraining()
        if clip > 0 { _ = try makePrivacy() }
        if secureAggregation { try validateSecureAggregation() }
        guard !keys.isEmpty || insecure || Endpoint.isLoopback(bind) else {
            throw SettingError(key: "scheduler.bind", value: bind, message: Self.insecureAdvice)
        }
    }

    /// The simulated devices of a run on virtual time (nil on the wall clock).
    ///
    /// - Throws: ``SettingError`` for a device file that cannot be read or is malformed.
    public func makeVirtualDevices() throws -> VirtualDevices? {
        guard clock == .virtual else { return nil }
        guard !devices.isEmpty else { return VirtualDevices(seed: seed) }
        guard FileManager.default.fileExists(atPath: devices) else {
            throw SettingError(key: "simulation.devices", value: devices,
                               message: "names no file (a CSV of devices, docs/TOPOLOGY.md; scripts/device_trace.py writes one)")
        }
        // What is wrong is in the file, not in its name: the file is named first, not as a
        // value refused.
        do {
            return VirtualDevices(seed: seed, trace: try DeviceTrace(contentsOf: devices))
        } catch let error as DeviceTrace.FormatError {
            throw SettingError(key: "simulation.devices", message: "'\(devices)'" + (error.line.map { ", line \($0)" } ?? "") + ": " + error.reason)
        } catch {
            throw SettingError(key: "simulation.devices", message: "'\(devices)' cannot be read (\(error.localizedDescription))")
        }
    }

    /// What to do about listening beyond this machine without keys.
    public static let insecureAdvice = "listens beyond this machine without keys, so anyone who reaches it could join the run; "
        + "make keys with 'tessera keys generate scheduler WORKER-ID... --dir keys' and give them with --keys keys "
        + "(security.keys), or accept the risk with --insecure (security.insecure: true)"
}
