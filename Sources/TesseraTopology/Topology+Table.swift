import TesseraScheduler
import TesseraTensor
import TesseraTransport

extension Topology {
    /// Every topology key: the launcher's own, then the run's (``/TesseraScheduler/RunSettings/table``).
    public static var table: SettingTable<Topology> {
        SettingTable([
            .text("name", \.name, accepts: "a name of letters, digits, '-', '_' and '.', not starting with '.' (it names a directory)",
                  summary: "the run's name; the run directory is <runs>/<name> (default: the file's name)", isValid: Topology.isValidName),
            .text("description", \.description, summary: "one line for tessera topologies"),
            .text("runs", \.runsDirectory, accepts: "a directory", summary: "where run directories go; <runs>/latest points to the newest"),
            .boolean("traces", \.traces, summary: "every process traces every message to <run>/traces (false: none, to measure what tracing costs)"),
            .text("scheduler.address", flag: "scheduler-address", \.schedulerAddress, accepts: Endpoint.form,
                  summary: "what workers connect to (default: the bound endpoint); set it for workers on other hosts",
                  isValid: Endpoint.isValid),
            .choice("workers.launch", \.launch, summary: "child processes here, tessera worker over ssh, one Slurm job, or in-process (threads of tessera launch, no sockets: for simulating many clients)"),
            .list("workers.hosts", \.hosts, summary: "ssh destinations (user@host), used round-robin; required for ssh"),
            .text("workers.binary", \.remoteBinary, summary: "the tessera executable on remote hosts"),
            .text("workers.directory", \.remoteDirectory, summary: "working directory on remote hosts (default: the login directory)"),
            .list("workers.ssh_options", \.sshOptions, summary: "extra ssh arguments, e.g. [\"-p\", \"2222\"] (ssh runs with BatchMode=yes)"),
            .integer("workers.clients_per_process", \.clientsPerProcess, minimum: 1,
                     summary: "clients each worker process hosts (tessera worker --clients): workers.count clients on ceil(count / this) processes; 1: a process per client"),
            .parsed("workers.threads", \.threadsPerWorker, accepts: "a whole number in 0…\(ThreadPool.maximumThreadCount)",
                    summary: "kernel threads per worker (TESSERA_THREADS); 0: cores / concurrent trainers", show: String.init) {
                Int($0).flatMap { (0...ThreadPool.maximumThreadCount).contains($0) ? $0 : nil }
            },
            .choice("workers.restart", \.restart,
                    summary: "a worker that exits before the run ends: never (the run goes on without it) or on-failure (started again when it did not exit cleanly)"),
            .integer("workers.max_restarts", \.maxRestarts, minimum: 0, summary: "restarts per worker at most (on-failure)"),
            .text("slurm.partition", flag: "slurm-partition", \.slurm.partition, accepts: "a partition name", summary: "slurm: the job's partition (default: the cluster's default)"),
            .text("slurm.time", flag: "slurm-time", \.slurm.time, accepts: "a Slurm time limit (MM, HH:MM:SS, D-HH)", summary: "slurm: the job's time limit (default: the partition's)"),
            .integer("slurm.nodes", flag: "slurm-nodes", \.slurm.nodes, minimum: 0, summary: "slurm: nodes for the job (0: as Slurm places the tasks)"),
            .integer("slurm.tasks_per_node", flag: "slurm-tasks-per-node", \.slurm.tasksPerNode, minimum: 0, summary: "slurm: tasks (scheduler and workers) per node at most (0: no limit)"),
            .integer("slurm.cpus_per_task", flag: "slurm-cpus-per-task", \.slurm.cpusPerTask, minimum: 1, summary: "slurm: CPUs for each task (the scheduler and each worker)"),
            .list("slurm.options", flag: "slurm-options", \.slurm.options, summary: "slurm: extra sbatch options, e.g. [\"--account=ml\", \"--qos=short\"]"),
            .number("slurm.queue_timeout", flag: "queue-timeout", \.slurm.queueTimeout, accepts: "seconds ≥ 0",
                    summary: "slurm: give up (and cancel the job) when it has not started after this long; 0: wait as long as it takes") { $0 >= 0 },
            .parsedList("simulation.groups", flag: "simulate", \.simulation, accepts: "a list of \(SimulationGroup.form)",
                        summary: "slow devices and links, simulated by the workers on real messages (on the command line, groups separated by ';')",
                        separator: ";", show: \.description, parse: SimulationGroup.parse),
        ] + RunSettings.table.lifted(\.run))
    }
}
