import Foundation
import TesseraScheduler

/// The batch script that runs a topology as one Slurm job (`workers.launch: slurm`): one step
/// runs the scheduler on the job's first node, listening on every address; once it listens,
/// a second step runs every worker, each connecting to that node's address (Slurm's
/// `NodeAddr`) and the port the scheduler chose. The run directory must be on a file system the
/// nodes share: logs, traces, metrics and keys go there. The job's exit status is the
/// scheduler's.
public struct SlurmJob: Sendable {
    /// The topology.
    public let topology: Topology
    /// The run directory, as every node sees it.
    public let runDirectory: URL
    /// The `tessera` executable, as every node sees it.
    public let executable: String
    /// The keys directory the scheduler and workers use (empty: none).
    public let keys: String

    /// A job for `topology` in `runDirectory`, running `executable`, with `keys`.
    public init(topology: Topology, runDirectory: URL, executable: String, keys: String) {
        (self.topology, self.runDirectory, self.executable, self.keys) = (topology, runDirectory, executable, keys)
    }

    /// The scheduler's arguments: every run setting that differs from the defaults, as
    /// `--set KEY=VALUE`, but the bind (every address, a free port) and the keys (this job's).
    var schedulerArguments: [String] {
        let defaults = RunSettings()
        var arguments = ["scheduler", "--run-dir", runDirectory.path, "--bind", "tcp://*:0"]
        for setting in RunSettings.table.settings where !["scheduler.bind", "security.keys"].contains(setting.key)
            && setting.value(in: topology.run) != setting.value(in: defaults) {
            let value = setting.items.map { $0(topology.run).joined(separator: ",") } ?? setting.value(in: topology.run)
            arguments += ["--set", "\(setting.key)=\(value)"]
        }
        if !keys.isEmpty { arguments += ["--keys", keys] }
        return arguments
    }

    /// The `#SBATCH` lines: tasks for the scheduler and every worker, and what the topology asks.
    var directives: [String] {
        let options = topology.slurm
        var lines = ["--job-name=tessera-\(topology.name)", "--ntasks=\(topology.run.workers + 1)",
                     "--cpus-per-task=\(options.cpusPerTask)", "--output=\(runDirectory.path)/logs/job.out"]
        if !options.partition.isEmpty { lines.append("--partition=\(options.partition)") }
        if !options.time.isEmpty { lines.append("--time=\(options.time)") }
        if options.nodes > 0 { lines.append("--nodes=\(options.nodes)") }
        if options.tasksPerNode > 0 { lines.append("--ntasks-per-node=\(options.tasksPerNode)") }
        return (lines + options.options).map { "#SBATCH \($0)" }
    }

    /// A bash `case` on the task's rank giving each simulated worker its flags
    /// (``SimulationGroup/workerArguments(for:in:)``), workers with the same flags in one arm;
    /// empty without simulation. Flag values are numbers and ranges, safe inside the quotes.
    var simulationCase: String {
        var arms: [[String]: [Int]] = [:]
        for index in 0..<topology.run.workers {
            let arguments = SimulationGroup.workerArguments(for: index, in: topology.simulation)
            if !arguments.isEmpty { arms[arguments, default: []].append(index) }
        }
        guard !arms.isEmpty else { return "" }
        let cases = arms.sorted { $0.value[0] < $1.value[0] }.map { arguments, indices in
            "\(indices.map(String.init).joined(separator: "|"))) simulated=(\(arguments.joined(separator: " ")));;"
        }
        return "case $SLURM_PROCID in \(cases.joined(separator: " ")) esac; "
    }

    /// The whole batch script, commented.
    public var script: String {
        let run = Self.quoted(runDirectory.path), tessera = Self.quoted(executable)
        let workerArguments = (topology.traces ? ["--trace-dir", runDirectory.appendingPathComponent("traces").path] : ["--no-trace"])
            + (keys.isEmpty ? [] : ["--keys", keys])
        return """
        #!/bin/bash
        # Tessera: topology '\(topology.name)', \(topology.run.workers) workers, as one Slurm job.
        # Written by `tessera launch` (workers.launch: slurm); submit it by hand with `sbatch FILE`.
        # One task runs the scheduler, \(topology.run.workers) run workers; every file goes to the run directory,
        # which the nodes must share.
        \(directives.joined(separator: "\n"))
        set -uo pipefail
        run=\(run)
        tessera=\(tessera)
        mkdir -p "$run/logs"
        export TESSERA_THREADS=${SLURM_CPUS_PER_TASK:-1}

        # The scheduler, on the job's first node, listening on every address (port chosen when it binds).
        first=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
        address=$(scontrol show node "$first" -o | grep -o 'NodeAddr=[^ ]*' | cut -d= -f2)
        srun --exact --ntasks=1 --nodes=1 --nodelist="$first" --output="$run/logs/scheduler.log" \\
          "$tessera" \(schedulerArguments.map(Self.quoted).joined(separator: " ")) &
        scheduler=$!
        port=""
        for _ in $(seq 1200); do
          port=$(grep -o 'listening on tcp://[^ ;]*' "$run/logs/scheduler.log" 2> /dev/null | head -n 1 | sed 's/.*://')
          [ -n "$port" ] && break
          kill -0 "$scheduler" 2> /dev/null || { echo "tessera: the scheduler ended before listening (see $run/logs/scheduler.log)"; wait "$scheduler"; exit $?; }
          sleep 0.1
        done
        [ -n "$port" ] || { echo "tessera: the scheduler did not listen within 120 s"; exit 1; }
        echo "tessera: scheduler listening on tcp://$address:$port"

        # The workers, worker-000 and on, each its own task (one that fails leaves the others running).
        srun --exact --ntasks=\(topology.run.workers) --kill-on-bad-exit=0 --output="$run/logs/worker-%3t.log" \\
          bash -c 'simulated=(); \(simulationCase)exec "$0" worker --connect "$1" --id "$(printf worker-%03d "$SLURM_PROCID")" "${@:2}" "${simulated[@]}"' \\
          "$tessera" "tcp://$address:$port" \(workerArguments.map(Self.quoted).joined(separator: " ")) &

        wait "$scheduler"
        status=$?
        # The scheduler said bye; the workers leave by themselves, the job's end stops any that do not.
        sleep 3
        echo "tessera: the scheduler exited with status $status"
        exit $status

        """
    }

    /// `text` single-quoted for bash.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
