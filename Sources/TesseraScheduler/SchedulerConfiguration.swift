import Foundation
import TesseraNN
import TesseraWorker

/// Everything a synchronous FedAvg run needs to know.
public struct SchedulerConfiguration: Sendable {
    /// Where the ROUTER socket binds.
    public var bind: String
    /// Workers expected to register before round 1.
    public var workers: Int
    /// Seconds to wait for them.
    public var registrationTimeout: Double
    /// Rounds to run.
    public var rounds: Int
    /// Fraction C of available workers sampled per round.
    public var fraction: Double
    /// At least this many workers per round.
    public var minimumWorkers: Int
    /// Updates needed to aggregate a round.
    public var quorum: Int
    /// Seconds a round waits for updates.
    public var deadline: Double
    /// Local training settings.
    public var hyperparameters: Hyperparameters
    /// Model, data and partition (the client index is filled in per worker).
    public var model: ModelSpec
    /// An MNIST directory or "synthetic".
    public var data: String
    /// The split strategy and its parameters.
    public var partition: RunConfiguration.PartitionKind
    /// Dirichlet alpha.
    public var alpha: Double
    /// Shards per client.
    public var shardsPerClient: Int
    /// Seed of initialization, sampling and partition.
    public var seed: UInt64
    /// The run's directory (metrics, checkpoints, traces).
    public var runDirectory: URL
    /// Workers training at once.
    public var maxConcurrentTrainers: Int
    /// How updates become the next global model.
    public var strategy: any AggregationStrategy
    /// Continue the run in `runDirectory` from its checkpoint instead of starting anew.
    public var resume: Bool
    /// Seconds without any message after which an idle worker counts as lost (workers
    /// heartbeat every second while idle).
    public var heartbeatTimeout: Double
    /// Fraction of each worker's data held out from training; when positive, every round's
    /// global model is also evaluated by the live workers on their held-out data.
    public var heldOutFraction: Double

    /// A configuration with the FedAvg paper's usual defaults where not given.
    public init(bind: String, workers: Int, registrationTimeout: Double = 60, rounds: Int, fraction: Double = 1,
                minimumWorkers: Int = 1, quorum: Int? = nil, deadline: Double = 600,
                hyperparameters: Hyperparameters = Hyperparameters(), model: ModelSpec, data: String,
                partition: RunConfiguration.PartitionKind = .iid, alpha: Double = 0.5, shardsPerClient: Int = 2,
                seed: UInt64 = 1, runDirectory: URL, maxConcurrentTrainers: Int = .max,
                strategy: any AggregationStrategy = FedAvg(), resume: Bool = false, heartbeatTimeout: Double = 10,
                heldOutFraction: Double = 0) {
        self.bind = bind
        self.workers = workers
        self.registrationTimeout = registrationTimeout
        self.rounds = rounds
        self.fraction = fraction
        self.minimumWorkers = minimumWorkers
        self.quorum = quorum ?? 1
        self.deadline = deadline
        self.hyperparameters = hyperparameters
        self.model = model
        self.data = data
        self.partition = partition
        self.alpha = alpha
        self.shardsPerClient = shardsPerClient
        self.seed = seed
        self.runDirectory = runDirectory
        self.maxConcurrentTrainers = maxConcurrentTrainers
        self.strategy = strategy
        self.resume = resume
        self.heartbeatTimeout = heartbeatTimeout
        self.heldOutFraction = heldOutFraction
    }

    /// Throws on impossible settings (fraction outside (0, 1], quorum above workers, …).
    public func validate() throws {
        guard workers >= 1, rounds >= 1 else { throw SchedulerError.invalidConfiguration("workers and rounds must be at least 1") }
        guard fraction > 0, fraction <= 1 else { throw SchedulerError.invalidConfiguration("fraction \(fraction) must be in (0, 1]") }
        guard minimumWorkers >= 1, minimumWorkers <= workers else {
            throw SchedulerError.invalidConfiguration("minimum workers \(minimumWorkers) must be between 1 and the \(workers) workers")
        }
        guard quorum >= 1, quorum <= workers else { throw SchedulerError.invalidConfiguration("quorum \(quorum) must be between 1 and the \(workers) workers") }
        guard deadline > 0, registrationTimeout > 0 else { throw SchedulerError.invalidConfiguration("deadline and registration timeout must be positive") }
        guard heartbeatTimeout > 0 else { throw SchedulerError.invalidConfiguration("heartbeat timeout must be positive") }
        guard maxConcurrentTrainers >= 1 else { throw SchedulerError.invalidConfiguration("max concurrent trainers must be at least 1") }
        guard heldOutFraction >= 0, heldOutFraction < 1 else {
            throw SchedulerError.invalidConfiguration("held-out fraction \(heldOutFraction) must be in [0, 1)")
        }
        try model.validate()
    }

    /// How many workers a round samples out of `available`.
    func sampleSize(available: Int) -> Int {
        min(available, max(minimumWorkers, Int((fraction * Double(available)).rounded(.up))))
    }
}
