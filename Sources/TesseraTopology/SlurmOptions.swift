/// What a topology's Slurm job asks for (`slurm.*` keys, docs/TOPOLOGY.md "Slurm"): empty
/// texts and zero counts leave the choice to Slurm.
public struct SlurmOptions: Sendable, Equatable {
    /// The partition (`--partition`); empty: the cluster's default.
    public var partition = ""
    /// The time limit (`--time`); empty: the partition's.
    public var time = ""
    /// Nodes (`--nodes`); 0: as Slurm places the tasks.
    public var nodes = 0
    /// Tasks per node at most (`--ntasks-per-node`); 0: no limit.
    public var tasksPerNode = 0
    /// CPUs for each task (`--cpus-per-task`).
    public var cpusPerTask = 1
    /// Extra `sbatch` options, passed as they are.
    public var options: [String] = []
    /// Seconds the launch waits for the job to start before cancelling it; 0: no limit.
    public var queueTimeout = 0.0

    /// The defaults.
    public init() {}
}
