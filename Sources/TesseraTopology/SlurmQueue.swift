import Foundation

/// Slurm's commands as the launcher uses them: submit a batch script, read a job's state and
/// the reason it waits, cancel it. Each is a short-lived child process whose output is read
/// whole.
struct SlurmQueue {
    /// A job's state as Slurm reports it.
    struct JobState: Equatable {
        /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, ...
        var state: String
        /// Why it waits (`Resources`, `Priority`), or `None`.
        var reason: String
        /// `EXIT:SIGNAL` once it ended.
        var exitCode: String

        /// The job's exit status as a process's: its exit code, or 128 + the signal that ended it.
        var exitStatus: Int32 {
            let parts = exitCode.split(separator: ":").compactMap { Int32($0) }
            guard parts.count == 2 else { return 1 }
            return parts[1] > 0 ? 128 + parts[1] : parts[0]
        }

        /// Whether the job is over.
        var hasEnded: Bool { !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"].contains(state) }
    }

    /// Submits `script` and returns the job's id.
    ///
    /// - Throws: ``TopologyError`` when `sbatch` is not on PATH or refuses the job (its own
    ///   sentence: an unknown partition, an impossible request).
    static func submit(_ script: URL) throws -> String {
        let (status, output, errors) = try run("sbatch", ["--parsable", script.path])
        guard status == 0, let id = output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty else {
            throw TopologyError(file: script.path, line: nil, key: "workers.launch",
                                message: "sbatch refused the job: \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return id
    }

    /// Job `id`'s state, or nil when Slurm no longer knows it.
    static func state(of id: String) throws -> JobState? {
        let (status, output, _) = try run("scontrol", ["show", "job", id, "-o"])
        guard status == 0 else { return nil }
        func field(_ name: String) -> String {
            output.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) } ?? ""
        }
        return JobState(state: field("JobState"), reason: field("Reason"), exitCode: field("ExitCode"))
    }

    /// Cancels job `id` (its steps get SIGTERM, then SIGKILL after the cluster's KillWait).
    static func cancel(_ id: String) {
        _ = try? run("scancel", [id])
    }

    /// Runs Slurm's `tool` to its end: its status, stdout and stderr.
    ///
    /// - Throws: ``TopologyError`` when it is not on PATH.
    static func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String, String) {
        guard let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TopologyError(file: "workers.launch: slurm", line: nil, key: nil,
                                message: "needs Slurm's \(tool) on PATH (install slurm-client, or load the cluster's Slurm module)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }
}
