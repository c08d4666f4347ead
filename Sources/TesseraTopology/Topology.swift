import Foundation
import TesseraNN
import TesseraScheduler
import TesseraWorker

/// A run described by a `Topologies/*.yaml` file: where the scheduler listens, how many workers
/// and how they are started, the data and its split, the model, and the training settings.
/// Every key is documented in `docs/TOPOLOGY.md`.
public struct Topology: Sendable, Equatable {
    /// How worker processes are started.
    public enum Launch: String, Sendable {
        /// Child processes of `tessera launch` on this machine.
        case local
        /// `tessera worker` over ssh on the listed hosts.
        case ssh
    }

    /// The run's name (also its run directory under `runs`).
    public var name: String
    /// One line for `make topologies`.
    public var description: String
    /// Scheduler endpoint to bind (`tcp://127.0.0.1:0` picks a free port).
    public var schedulerBind: String
    /// The address workers connect to (defaults to the bound endpoint).
    public var schedulerAddress: String?
    /// Number of workers.
    public var workers: Int
    /// How workers start.
    public var launch: Launch
    /// ssh hosts, used round-robin.
    public var hosts: [String]
    /// `tessera` binary on remote hosts.
    public var remoteBinary: String
    /// Working directory on remote hosts.
    public var remoteDirectory: String?
    /// Extra ssh arguments (port, identity file, options).
    public var sshOptions: [String]
    /// Kernel threads per worker (0: cores divided among concurrent trainers).
    public var threadsPerWorker: Int
    /// An MNIST directory, "synthetic", or "auto" (search, fall back to synthetic).
    public var data: String
    /// The split.
    public var partition: RunConfiguration.PartitionKind
    /// Dirichlet alpha.
    public var alpha: Double
    /// Label shards per client.
    public var shardsPerClient: Int
    /// Fraction of each worker's data held out for federated evaluation (0: none).
    public var heldOut: Double
    /// The architecture.
    public var model: ModelSpec
    /// Rounds.
    public var rounds: Int
    /// Fraction C of workers per round.
    public var fraction: Double
    /// Minimum workers per round.
    public var minimumWorkers: Int
    /// Local training.
    public var hyperparameters: Hyperparameters
    /// Seconds a round waits for updates.
    public var deadline: Double
    /// Updates needed to aggregate.
    public var quorum: Int
    /// Seed.
    public var seed: UInt64
    /// Workers training at once (0: the number of cores).
    public var maxConcurrentTrainers: Int
    /// Aggregation strategy and its parameters.
    public var strategy: StrategyChoice
    /// Where run directories go.
    public var runsDirectory: String
}
