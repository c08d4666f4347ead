import Foundation
import TesseraScheduler
import TesseraTensor
import TesseraTrace
import TesseraTransport

/// Starts a topology: the scheduler in this process, every worker as a process (local child
/// or over ssh) or a thread of this one (in-process), and stops every process it started when
/// the run ends, fails or is interrupted.
public final class Launcher {
    /// The topology being run.
    public let topology: Topology
    /// The run directory (`runs/<name>`).
    public let runDirectory: URL
    /// A worker process and what the launcher knows of it.
    private struct Child {
        let index: Int
        var process: Process
        var restarts = 0
        /// Whether its exit was reported (and acted on).
        var handled = false
    }
    private var children: [Child] = []
    /// How each worker process is started (its executable, arguments, environment).
    private var commands: [Int: (executable: URL, arguments: [String], environment: [String: String]?)] = [:]

    /// A launcher for `topology` in a new run directory under its runs directory; with
    /// `resuming` (or `training.resume`: the topology's newest run), in that run's directory,
    /// continuing from its checkpoint.
    ///
    /// - Throws: ``TopologyError`` when the directory cannot be made, or there is no run to resume.
    public init(topology: Topology, resuming: RunDirectory? = nil) throws {
        var topology = topology
        if resuming != nil { topology.run.resume = true }
        self.topology = topology
        let resumed = try resuming ?? (topology.run.resume ? RunDirectory.resolve(topology.name, runs: topology.runsDirectory) : nil)
        // Two launches writing one run's files would garble both. A process killed a moment
        // ago (`kill -9 PID; tessera launch --resume`) takes a moment to go: waited for.
        if let resumed, let status = resumed.waitingForItsProcess(seconds: 3), status.state == "running" {
            throw TopologyError(file: resumed.url.path, line: nil, key: nil,
                                message: "is still running (launched by process \(status.pid)); stop it first, or launch a new run")
        }
        // A device file is read before anything is made, a run directory included: a bad one
        // fails the launch with one line. A Slurm job's scheduler reads it on its own node.
        if topology.launch != .slurm { _ = try topology.run.makeVirtualDevices() }
        runDirectory = try resumed?.url ?? RunDirectory.create(for: topology).url
    }

    /// Runs the topology to the end; `onRound` sees each round, `shouldStop` is polled (Ctrl-C).
    ///
    /// - Throws: ``/TesseraScheduler/SchedulerError``, transport and process errors; every started process is
    ///   stopped first.
    /// A worker that exits before the run ends is reported to `onEvent` (and restarted when the
    /// topology says `workers.restart: on-failure`); the run goes on, and ends only when the
    /// scheduler can no longer go on (every worker lost, no update).
    public func run(onRound: @escaping (RoundResult) -> Void, onReady: (String) -> Void = { _ in },
                    onProgress: @escaping (Int, Int, Int) -> Void = { _, _, _ in },
                    onEvent: @escaping (String) -> Void = { _ in },
                    shouldStop: @escaping () -> Bool) throws -> [RoundResult] {
        defer { stopChildren() }
        return try RunDirectory(runDirectory).recording {
            let results = try launch(onRound: onRound, onReady: onReady, onProgress: onProgress, onEvent: onEvent, shouldStop: shouldStop)
            // The scheduler said bye: workers leave by themselves (their traces end with it)
            // unless they take longer than this to.
            waitForChildren(seconds: 3)
            collectRemoteTraces(onEvent: onEvent)
            return results
        }
    }

    private func launch(onRound: @escaping (RoundResult) -> Void, onReady: (String) -> Void, onProgress: @escaping (Int, Int, Int) -> Void,
                        onEvent: @escaping (String) -> Void, shouldStop: @escaping () -> Bool) throws -> [RoundResult] {

        // Workers on this machine share its cores: by default one trains per core.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var settings = topology.run
        if settings.maxConcurrentTrainers == 0 && [.local, .inProcess].contains(topology.launch) { settings.maxConcurrentTrainers = cores }
        // In-process workers reach the scheduler over a hub, not a socket.
        let hub = topology.launch == .inProcess ? InProcessHub() : nil
        if hub != nil { settings.bind = InProcessWorkers.address }
        // A process hosting clients runs their tasks one at a time: processes train at once.
        let processes = topology.processCount
        if settings.keys == Topology.generatedKeys { settings.keys = try generateKeys(workers: processes).path }
        let concurrent = min(settings.trainerCap, processes)
        let threads = topology.threadsPerWorker > 0 ? topology.threadsPerWorker : max(1, cores / concurrent)
        // In-process workers train on this process's kernel threads: they get what a worker
        // process would (its trainers run at once and split the cores), unless TESSERA_THREADS
        // says otherwise; set before the kernel's first use, which sizes the pool.
        let threadsGiven = ThreadPool.environmentThreadCount() != nil
        if hub != nil && !threadsGiven { setenv("TESSERA_THREADS", String(threads), 1) }
        // The data split and what the workers will need of this machine, before anything starts.
        let plan = try DataPlan(settings: settings)
        onEvent("data: \(plan.sourceName): " + plan.dataSummary)
        if let natural = plan.naturalClients { onEvent("natural clients: " + natural) }
        if topology.launch == .local {
            try LaunchPreflight.check(processes: processes, clientsPerProcess: topology.clientsPerProcess, concurrent: concurrent, plan: plan,
                                      model: settings.model, file: topology.name)
        }
        let traces = runDirectory.appendingPathComponent("traces")
        let scheduler = try FederatedScheduler(settings: settings, runDirectory: runDirectory, transport: hub.map { .inProcess($0) } ?? .zeroMQ,
                                               tracer: topology.traces ? try TraceWriter(directory: traces, process: "scheduler") : nil)
        scheduler.plan = plan
        // The trainers' share of the cores is the process's pool; the close's sum and the
        // evaluation, which a synchronous round waits for with its trainers idle, take all of them.
        if hub != nil && !threadsGiven { scheduler.roundEndThreads = cores }
        scheduler.onRound = onRound
        scheduler.onProgress = onProgress
        scheduler.onRegistration = { onEvent($0.line) }
        // Polled by the scheduler's loop at least twice a second: workers that exited are
        // reported and, if the topology says so, started again. A local process's exit is
        // certain, so its clients are lost at once; an ssh session's end is not the remote
        // worker's, which its silence tells.
        scheduler.shouldStop = shouldStop
        scheduler.exitedProcesses = { [unowned self] in
            let exited = self.supervise(onEvent: onEvent)
            return topology.launch == .local ? exited : []
        }
        onReady(scheduler.address)
        if let hub {
            let workers = try InProcessWorkers(topology: topology, hub: hub, traces: topology.traces ? traces : nil)
            defer { workers.stop() }
            scheduler.shouldStop = {
                workers.takeFailures().forEach(onEvent)
                return shouldStop()
            }
            return try scheduler.run()
        }
        let logs = runDirectory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)

        let address = topology.schedulerAddress.isEmpty ? scheduler.address : topology.schedulerAddress
        for index in 0..<processes {
            let id = Self.workerID(index)
            // No --data: the welcome names the data, and loading it twice would only slow the start.
            var arguments = ["worker", "--connect", address, "--id", id] + (topology.traces ? ["--trace-dir", traces.path] : ["--no-trace"])
                + SimulationGroup.workerArguments(for: index, in: topology.simulation)
            if topology.clientsPerProcess > 1 {
                let first = index * topology.clientsPerProcess
                arguments += ["--clients", String(min(topology.clientsPerProcess, settings.workers - first))]
            }
            if !settings.keys.isEmpty {
                let keys = topology.launch == .ssh ? try sendKeys(of: id, from: settings.keys, to: topology.hosts[index % topology.hosts.count])
                    : settings.keys
                arguments += ["--keys", keys]
            }
            switch topology.launch {
            case .local:
                // A launch killed by kill -9 takes its local workers with it.
                arguments.append("--exit-with-parent")
                var environment = ProcessInfo.processInfo.environment
                environment["TESSERA_THREADS"] = String(threads)
                commands[index] = (ThisExecutable.url, arguments, environment)
            case .slurm, .inProcess:
                throw TopologyError(file: topology.name, line: nil, key: "workers.launch", message: "a \(topology.launch.rawValue) run starts no worker process")
            case .ssh:
                let host = topology.hosts[index % topology.hosts.count]
                let remote = (topology.remoteDirectory.isEmpty ? "" : "cd \(topology.remoteDirectory) && ")
                    + "TESSERA_THREADS=\(threads) exec \(topology.remoteBinary) " + arguments.map { "'\($0)'" }.joined(separator: " ")
                // -tt: a remote terminal, so the remote worker gets SIGHUP if this side dies.
                commands[index] = (URL(fileURLWithPath: "/usr/bin/ssh"),
                                   ["-tt", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] + topology.sshOptions + [host, remote], nil)
            }
            children.append(Child(index: index, process: try startWorker(index)))
        }
        return try scheduler.run()
    }

    /// Starts worker `index` as its command says, its output appended to `<run>/logs/<id>.log`.
    private func startWorker(_ index: Int) throws -> Process {
        guard let command = commands[index] else { throw TopologyError(file: topology.name, line: nil, key: nil, message: "no command for worker \(index)") }
        let log = runDirectory.appendingPathComponent("logs/\(Self.workerID(index)).log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let output = try FileHandle(forWritingTo: log)
        try output.seekToEnd()
        let process = Process()
        process.executableURL = command.executable
        process.arguments = command.arguments
        if let environment = command.environment { process.environment = environment }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try? output.close()
        return process
    }

    /// Reports workers that exited since the last call, and restarts those the topology says to;
    /// returns the ids of those that exited.
    private func supervise(onEvent: (String) -> Void) -> [String] {
        var exited: [String] = []
        for position in children.indices where !children[position].handled && !children[position].process.isRunning {
            var child = children[position]
            child.handled = true
            let id = Self.workerID(child.index)
            exited.append(id)
            let how = child.process.terminationReason == .uncaughtSignal
                ? "was killed by signal \(child.process.terminationStatus)" : "exited with status \(child.process.terminationStatus)"
            let failed = child.process.terminationReason == .uncaughtSignal || child.process.terminationStatus != 0
            let log = "logs/\(id).log"
            if topology.restart == .onFailure && failed && child.restarts < topology.maxRestarts {
                child.restarts += 1
                onEvent("\(id) \(how) during the run; restarting it (\(child.restarts) of \(topology.maxRestarts); output in \(log))")
                do {
                    child.process = try startWorker(child.index)
                    child.handled = false
                } catch {
                    onEvent("\(id) could not be restarted: \(error); the run goes on without it")
                }
            } else {
                let why = topology.restart == .never || !failed ? "" : " (restarted \(child.restarts) times already)"
                onEvent("\(id) \(how) during the run\(why); the run goes on without it (output in \(log))")
            }
            children[position] = child
        }
        return exited
    }

    /// Puts worker `id`'s secret key, the scheduler's public key and every worker's signing
    /// public key (`NAME.sign`, which secure aggregation checks the others' keys against), and
    /// nothing else, in a directory of their own on `host` (`.tessera-keys/<run>/<id>` under the
    /// remote working directory, mode 0700, the key 0600), through ssh's stdin; returns that
    /// directory as the worker there names it.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` for missing keys, ``TopologyError`` when ssh fails.
    private func sendKeys(of id: String, from directory: String, to host: String) throws -> String {
        let keys = KeyDirectory(URL(fileURLWithPath: directory))
        let secret = try keys.pair(id).secretKey, schedulerKey = try keys.publicKey(KeyDirectory.schedulerName)
        let remote = ".tessera-keys/\(topology.name)/\(id)"
        let signing = try keys.signingKeys().sorted { $0.key < $1.key }
            .map { " && printf '%s\\n' '\($0.value.base64EncodedString())' > '\(remote)/\($0.key).sign'" }.joined()
        let command = (topology.remoteDirectory.isEmpty ? "" : "cd '\(topology.remoteDirectory)' && ")
            + "mkdir -p '\(remote)' && chmod 700 '\(remote)' && printf '%s\\n' '\(schedulerKey)' > '\(remote)/scheduler.pub'"
            + signing + " && umask 077 && cat > '\(remote)/\(id).key'"
        let status = try ChildProcess.run("/usr/bin/ssh", ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] + topology.sshOptions
                                          + [host, command], input: Data((secret + "\n").utf8))
        guard status == 0 else {
            throw TopologyError(file: topology.name, line: nil, key: "workers.hosts",
                                message: "could not put \(id)'s key on \(host) (ssh exited with \(status))")
        }
        return remote
    }

    /// Fresh key pairs for the scheduler and every worker in `<run>/keys` (`security.keys: auto`).
    func generateKeys(workers: Int) throws -> URL {
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

    /// Workers started over ssh wrote their traces on their hosts: brings them into the run's
    /// traces (a host that cannot be reached is reported, and the run stands).
    private func collectRemoteTraces(onEvent: (String) -> Void) {
        guard topology.launch == .ssh, topology.traces else { return }
        let collector = TraceCollector(runDirectory: runDirectory, sshOptions: topology.sshOptions)
        for host in Set(topology.hosts).sorted() {
            do {
                let names = try collector.collect(from: "\(host):\(collector.traces.path)")
                onEvent("collected \(names.count) trace(s) from \(host)")
            } catch {
                onEvent("could not collect the traces on \(host): \(error) (tessera trace collect RUN --from \(host):\(collector.traces.path))")
            }
        }
    }

    /// Waits up to `seconds` for every started process to exit by itself.
    private func waitForChildren(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while children.contains(where: { $0.process.isRunning }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }

    /// Terminates every started process still running (SIGTERM, then SIGKILL after 5 s).
    public func stopChildren() {
        let processes = children.map(\.process)
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while processes.contains(where: { $0.isRunning }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        children.removeAll()
    }
}
