import Foundation
import TesseraScheduler
import TesseraTrace
import TesseraTransport

/// Starts a topology: the scheduler in this process, every worker as a process (local child
/// or over ssh), and stops every process it started when the run ends, fails or is interrupted.
public final class Launcher {
    /// The topology being run.
    public let topology: Topology
    /// The run directory (`runs/<name>`).
    public let runDirectory: URL
    private var children: [Process] = []

    /// A launcher for `topology`, writing under its runs directory.
    public init(topology: Topology) {
        self.topology = topology
        runDirectory = topology.runDirectory
    }

    /// Runs the topology to the end; `onRound` sees each round, `shouldStop` is polled (Ctrl-C).
    ///
    /// - Throws: ``SchedulerError``, transport and process errors; every started process is
    ///   stopped first.
    public func run(onRound: @escaping (RoundResult) -> Void, onReady: (String) -> Void = { _ in },
                    onProgress: @escaping (Int, Int, Int) -> Void = { _, _, _ in },
                    shouldStop: @escaping () -> Bool) throws -> [RoundResult] {
        defer { stopChildren() }
        if !topology.run.resume { try? FileManager.default.removeItem(at: runDirectory) }
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let latest = URL(fileURLWithPath: topology.runsDirectory).appendingPathComponent("latest")
        try? FileManager.default.removeItem(at: latest)
        try? FileManager.default.createSymbolicLink(atPath: latest.path, withDestinationPath: topology.name)

        // Workers on this machine share its cores: by default one trains per core.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var settings = topology.run
        if settings.maxConcurrentTrainers == 0 && topology.launch == .local { settings.maxConcurrentTrainers = cores }
        if settings.keys == Topology.generatedKeys { settings.keys = try generateKeys(workers: settings.workers).path }
        let concurrent = min(settings.trainerCap, settings.workers)
        let traces = runDirectory.appendingPathComponent("traces")
        let scheduler = try FederatedScheduler(settings: settings, runDirectory: runDirectory,
                                          tracer: try TraceWriter(directory: traces, process: "scheduler"))
        scheduler.onRound = onRound
        scheduler.onProgress = onProgress
        // A worker that dies before the run ends stops the run at once, instead of the
        // scheduler waiting out its registration timeout or round deadline.
        scheduler.shouldStop = { [unowned self] in shouldStop() || self.children.contains { !$0.isRunning } }
        onReady(scheduler.address)

        let address = topology.schedulerAddress.isEmpty ? scheduler.address : topology.schedulerAddress
        let threads = topology.threadsPerWorker > 0 ? topology.threadsPerWorker : max(1, cores / concurrent)
        for index in 0..<settings.workers {
            let id = Self.workerID(index)
            // No --data: the welcome names the data, and loading it twice would only slow the start.
            var arguments = ["worker", "--connect", address, "--id", id, "--trace-dir", traces.path]
            if !settings.keys.isEmpty {
                let keys = topology.launch == .ssh ? try sendKeys(of: id, from: settings.keys, to: topology.hosts[index % topology.hosts.count])
                    : settings.keys
                arguments += ["--keys", keys]
            }
            let process = Process()
            switch topology.launch {
            case .local:
                process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
                process.arguments = arguments
                var environment = ProcessInfo.processInfo.environment
                environment["TESSERA_THREADS"] = String(threads)
                process.environment = environment
            case .ssh:
                let host = topology.hosts[index % topology.hosts.count]
                let remote = (topology.remoteDirectory.isEmpty ? "" : "cd \(topology.remoteDirectory) && ")
                    + "TESSERA_THREADS=\(threads) exec \(topology.remoteBinary) " + arguments.map { "'\($0)'" }.joined(separator: " ")
                process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
                // -tt: a remote terminal, so the remote worker gets SIGHUP if this side dies.
                process.arguments = ["-tt", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] + topology.sshOptions + [host, remote]
            }
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            children.append(process)
        }
        do {
            return try scheduler.run()
        } catch {
            if let dead = children.firstIndex(where: { !$0.isRunning }) {
                throw TopologyError(file: topology.name, line: nil, key: nil, message: String(
                    format: "worker-%03d exited with status %d before the run finished (its error is above)",
                    dead, children[dead].terminationStatus))
            }
            throw error
        }
    }

    /// Puts worker `id`'s secret key and the scheduler's public key, and nothing else, in a
    /// directory of their own on `host` (`.tessera-keys/<run>/<id>` under the remote working
    /// directory, mode 0700, the key 0600), through ssh's stdin; returns that directory as the
    /// worker there names it.
    ///
    /// - Throws: ``TransportError`` for missing keys, ``TopologyError`` when ssh fails.
    private func sendKeys(of id: String, from directory: String, to host: String) throws -> String {
        let keys = KeyDirectory(URL(fileURLWithPath: directory))
        let secret = try keys.pair(id).secretKey, schedulerKey = try keys.publicKey(KeyDirectory.schedulerName)
        let remote = ".tessera-keys/\(topology.name)/\(id)"
        let command = (topology.remoteDirectory.isEmpty ? "" : "cd '\(topology.remoteDirectory)' && ")
            + "mkdir -p '\(remote)' && chmod 700 '\(remote)' && printf '%s\\n' '\(schedulerKey)' > '\(remote)/scheduler.pub'"
            + " && umask 077 && cat > '\(remote)/\(id).key'"
        let status = try ChildProcess.run("/usr/bin/ssh", ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] + topology.sshOptions
                                          + [host, command], input: Data((secret + "\n").utf8))
        guard status == 0 else {
            throw TopologyError(file: topology.name, line: nil, key: "workers.hosts",
                                message: "could not put \(id)'s key on \(host) (ssh exited with \(status))")
        }
        return remote
    }

    /// Fresh key pairs for the scheduler and every worker in `<run>/keys` (`security.keys: auto`).
    private func generateKeys(workers: Int) throws -> URL {
        let url = runDirectory.appendingPathComponent("keys")
        try? FileManager.default.removeItem(at: url)
        let keys = KeyDirectory(url)
        try keys.generate(KeyDirectory.schedulerName)
        for index in 0..<workers { try keys.generate(Self.workerID(index)) }
        return url
    }

    /// The id of the `index`-th worker a launch starts.
    static func workerID(_ index: Int) -> String {
        String(format: "worker-%03d", index)
    }

    /// Terminates every started process still running (SIGTERM, then SIGKILL after 5 s).
    public func stopChildren() {
        for child in children where child.isRunning { child.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while children.contains(where: { $0.isRunning }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) }
        children.removeAll()
    }
}
