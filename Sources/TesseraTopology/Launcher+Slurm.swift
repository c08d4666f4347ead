import Foundation
import TesseraScheduler
import TesseraTransport

extension Launcher {
    /// The batch script of this run as a Slurm job (``SlurmJob``), written to `<run>/job.sh`;
    /// with `security.keys: auto`, the keys it uses are made in `<run>/keys` first.
    ///
    /// - Throws: ``TopologyError`` when the script or keys cannot be written.
    public func writeSlurmScript() throws -> URL {
        var keys = topology.run.keys
        if keys == Topology.generatedKeys { keys = try generateKeys(workers: topology.run.workers).path }
        let executable = ThisExecutable.url.path
        let job = SlurmJob(topology: topology, runDirectory: runDirectory.standardizedFileURL, executable: executable, keys: keys)
        let url = runDirectory.appendingPathComponent("job.sh")
        try FileManager.default.createDirectory(at: runDirectory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        do {
            try Data(job.script.utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        } catch {
            throw TopologyError(file: url.path, line: nil, key: nil, message: "cannot write the batch script: \(FileFailure.reason(error))")
        }
        return url
    }

    /// Runs the topology as one Slurm job: writes its script, submits it, and follows it to its
    /// end, handing `onLine` the job's state changes (with Slurm's reason while it waits) and
    /// the scheduler's lines; Ctrl-C (`shouldStop`) cancels the job.
    ///
    /// - Throws: ``TopologyError`` (no sbatch, a refused job, a job that waited past
    ///   `slurm.queue_timeout`), ``SlurmJobFailure`` (a job that did not complete),
    ///   ``/TesseraScheduler/SchedulerError`` (`.interrupted`).
    public func runOnSlurm(onLine: @escaping (String) -> Void, shouldStop: @escaping () -> Bool) throws {
        try RunDirectory(runDirectory).recording {
            try followJob(submitting: try writeSlurmScript(), onLine: onLine, shouldStop: shouldStop)
        }
    }

    private func followJob(submitting script: URL, onLine: (String) -> Void, shouldStop: () -> Bool) throws {
        let id = try SlurmQueue.submit(script)
        onLine("submitted Slurm job \(id) (\(topology.run.workers + 1) tasks); its script is \(script.path)")
        let submitted = Date()
        // The scheduler's lines, and the job's own (srun's word on a worker task that failed).
        var followed = [Followed(runDirectory.appendingPathComponent("logs/scheduler.log")) { !$0.hasPrefix("scheduler listening on") },
                        Followed(runDirectory.appendingPathComponent("logs/job.out")) { $0.hasPrefix("srun: error") || $0.hasPrefix("tessera:") }]
        var last = ""
        var started = false
        while true {
            if shouldStop() {
                SlurmQueue.cancel(id)
                onLine("cancelled Slurm job \(id)")
                throw SchedulerError.interrupted(phase: started ? "while Slurm job \(id) ran" : "while Slurm job \(id) waited to start")
            }
            let state = try SlurmQueue.state(of: id)
            if let state, "\(state.state) \(state.reason)" != last {
                last = "\(state.state) \(state.reason)"
                if state.state == "PENDING" { onLine(state.reason == "None" ? "job \(id) is queued" : "job \(id) is waiting: \(state.reason)") }
                if state.state == "RUNNING" && !started { onLine("job \(id) is running") }
            }
            started = started || state?.state != "PENDING"
            for index in followed.indices { followed[index].newLines().forEach(onLine) }
            guard let state, !state.hasEnded else {
                guard let state, state.state == "COMPLETED" else {
                    throw SlurmJobFailure(description: "Slurm job \(id) ended \(state?.state ?? "unknown to Slurm") (exit \(state?.exitCode ?? "?")); see \(runDirectory.path)/logs/job.out and scheduler.log",
                                          status: state.map { max(1, $0.exitStatus) } ?? 1)
                }
                return
            }
            if !started, topology.slurm.queueTimeout > 0, Date().timeIntervalSince(submitted) > topology.slurm.queueTimeout {
                SlurmQueue.cancel(id)
                throw TopologyError(file: script.path, line: nil, key: "slurm.queue_timeout",
                                    message: "Slurm job \(id) did not start within \(topology.slurm.queueTimeout) s (\(state.reason)); it was cancelled")
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }
}

/// A Slurm job that did not complete: what Slurm says of it, and its exit status (the launch's).
public struct SlurmJobFailure: Error, Sendable, CustomStringConvertible {
    /// The job, its state and exit code, and where its logs are.
    public let description: String
    /// The job's exit status: its exit code, or 128 + the signal that ended it; at least 1.
    public let status: Int32
}

/// A log file read as it grows: the complete lines not shown yet that `shows` keeps.
private struct Followed {
    let url: URL
    let shows: (String) -> Bool
    private var shown = 0

    init(_ url: URL, shows: @escaping (String) -> Bool = { _ in true }) {
        (self.url, self.shows) = (url, shows)
    }

    mutating func newLines() -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        defer { shown = max(shown, lines.count) }
        return lines.dropFirst(shown).map(String.init).filter { !$0.isEmpty && shows($0) }
    }
}
