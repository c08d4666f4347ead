import Foundation
import TesseraScheduler

/// A run described by a `Topologies/*.yaml` file: its name, how workers are started, and the
/// run's settings (``/TesseraScheduler/RunSettings``). Every key is in ``Topology/table`` and documented in
/// `docs/TOPOLOGY.md`.
public struct Topology: Sendable, Equatable {
    /// What the launcher does when a worker process exits before the run ends.
    public enum Restart: String, Sendable, CaseIterable {
        /// Report it; the run goes on without that worker.
        case never
        /// Start it again (up to `workers.max_restarts` times) when it did not exit cleanly.
        case onFailure = "on-failure"
    }

    /// How worker processes are started.
    public enum Launch: String, Sendable, CaseIterable {
        /// Child processes of `tessera launch` on this machine.
        case local
        /// `tessera worker` over ssh on the listed hosts.
        case ssh
        /// One Slurm job (``SlurmJob``): a step runs the scheduler, another the workers.
        case slurm
        /// Threads of `tessera launch` itself, over an in-process channel (docs/TOPOLOGY.md, "In-process workers").
        case inProcess = "in-process"
    }

    /// The run's name (also its run directory under `runs`); the file's name when not given.
    public var name = ""

    /// Whether `name` can name a run: letters, digits, `-`, `_` and `.`, not starting with `.`
    /// (`../../x` would put the run outside `runs/`, and `""` its files straight into it).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.count <= 100
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
    }
    /// One line for `tessera topologies`.
    public var description = ""
    /// Where run directories go.
    public var runsDirectory = "runs"
    /// Whether every process traces its messages.
    public var traces = true
    /// The address workers connect to; empty: the bound endpoint.
    public var schedulerAddress = ""
    /// How workers start.
    public var launch = Launch.local
    /// ssh hosts, used round-robin.
    public var hosts: [String] = []
    /// `tessera` binary on remote hosts.
    public var remoteBinary = "tessera"
    /// Working directory on remote hosts; empty: the login directory.
    public var remoteDirectory = ""
    /// Extra ssh arguments (port, identity file, options).
    public var sshOptions: [String] = []
    /// Clients each worker process hosts (`tessera worker --clients`): the run's `workers.count`
    /// clients are spread over ceil(count / this) processes. 1: a process per client.
    public var clientsPerProcess = 1
    /// How many worker processes the launch starts.
    public var processCount: Int { (run.workers + clientsPerProcess - 1) / clientsPerProcess }
    /// Kernel threads per worker (0: cores divided among concurrent trainers).
    public var threadsPerWorker = 0
    /// What happens to a worker that exits during the run.
    public var restart = Restart.never
    /// How many times each worker is restarted at most.
    public var maxRestarts = 3
    /// Simulated slow devices and links, by worker.
    public var simulation: [SimulationGroup] = []
    /// What the Slurm job asks for (`workers.launch: slurm`).
    public var slurm = SlurmOptions()
    /// The run's settings.
    public var run = RunSettings()

    /// A topology with every default (one local worker, the default run).
    public init() {}

    /// The most clients one process hosts (`tessera worker --clients`).
    public static let maximumClientsPerProcess = 1_000_000

    /// `security.keys: auto`: the launcher makes fresh keys for the scheduler and each worker
    /// in the run directory (for workers on this machine; hosts reached by ssh need keys of their own).
    public static let generatedKeys = "auto"

    /// Checks what the keys say together (each alone was checked when read).
    ///
    /// - Throws: ``/TesseraScheduler/SettingError`` naming the key at fault.
    public func validate() throws {
        var run = run
        if run.keys == Self.generatedKeys { run.keys = "generated at launch" }
        try run.validate()
        for group in simulation {
            guard let outside = group.workers.first(where: { $0 >= run.workers }) else { continue }
            throw SettingError(key: "simulation.groups", value: group.description,
                               message: "names worker \(outside), but the run has \(run.workers) (0 to \(run.workers - 1))")
        }
        if clientsPerProcess > 1 {
            guard clientsPerProcess <= Self.maximumClientsPerProcess else {
                throw SettingError(key: "workers.clients_per_process", value: String(clientsPerProcess),
                                   message: "a process hosts at most \(Self.maximumClientsPerProcess) clients")
            }
            guard simulation.isEmpty else {
                throw SettingError(key: "simulation.groups", message: "names workers one by one, which a process hosting \(clientsPerProcess) clients is not; remove workers.clients_per_process or the groups")
            }
            guard launch != .slurm else {
                throw SettingError(key: "workers.clients_per_process", value: String(clientsPerProcess),
                                   message: "is for local and ssh launches; a Slurm job starts a task per worker")
            }
        }
        if launch == .inProcess {
            guard simulation.isEmpty else {
                throw SettingError(key: "simulation.groups", message: "slow devices and links are simulated by worker processes; with workers.launch: in-process use simulation.devices and simulation.clock: virtual")
            }
            guard run.keys.isEmpty else {
                throw SettingError(key: "security.keys", value: self.run.keys, message: "secures connections between processes, and in-process workers have none; remove it, or launch local")
            }
        }
        guard launch != .ssh || !hosts.isEmpty else {
            throw SettingError(key: "workers.hosts", message: "ssh launch needs at least one host")
        }
        guard run.keys != Self.generatedKeys || launch != .ssh else {
            throw SettingError(key: "security.keys", value: run.keys,
                               message: "auto makes keys on this machine, for local workers and Slurm jobs (whose run directory is shared); for ssh hosts give a directory made with tessera keys generate")
        }
    }
}
