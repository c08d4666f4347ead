import ArgumentParser
import Foundation
import TesseraTopology
import TesseraData
import TesseraTrace
import TesseraSecureAggregation
import TesseraTransport
import TesseraWire
import TesseraWorker

/// `tessera worker`: a process that keeps tensors and executes ops sent to it over ZeroMQ.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve remote tensor operations over ZeroMQ until SIGINT or SIGTERM.",
        discussion: "Prints one line, 'worker NAME serving on ENDPOINT', once it is ready.")

    @Option(help: "Host this many federated clients in this process (ID/0, ID/1, ...), each registering and training as a client of its own over one connection (--connect only); they share the data, the model code and the kernel's threads.")
    var clients: Int?

    @Option(help: "Bind a ROUTER socket here (e.g. tcp://127.0.0.1:5556, tcp://*:0 for any port).")
    var bind: String?

    @Option(help: "Connect a DEALER socket to a client or scheduler's ROUTER here.")
    var connect: String?

    @Option(help: "The worker's name (its routing identity).")
    var id = "worker-\(ProcessInfo.processInfo.processIdentifier)"

    @Option(help: "This worker's data: an MNIST directory, 'synthetic' or 'auto' (searched; reported when registering).")
    var data: String?

    @Option(help: "Most tensors kept at once.")
    var maxObjects = 100_000

    @Option(help: "Most bytes of tensors kept at once.")
    var maxBytes = 4 << 30

    @Option(help: "Most arithmetic operations one exec or plan may ask for (a request over it is refused before it runs).")
    var maxWork = WorkerService.defaultMaximumWorkPerRequest

    @Option(help: "Largest message accepted, in bytes.")
    var maxMessageBytes = 1 << 30

    @Option(help: "Directory for this process's trace (default: TESSERA_TRACE_DIR, else runs/traces).")
    var traceDir: String?

    @Flag(help: "Do not trace messages.")
    var noTrace = false

    @Option(help: "Simulate a slow device: extra seconds per training task.")
    var slow: Double = 0

    @Option(help: "Seconds without a message from the scheduler (it heartbeats a quiet worker every 2 s) before saying so; the worker goes on heartbeating, and registers again when a restarted scheduler does not know it.")
    var schedulerTimeout: Double = 10

    @Option(help: "Seconds without a message from the scheduler before giving up and exiting with status 1 (0: never).")
    var giveUp: Double = 300

    @Flag(help: "Stop when the process that started this one dies, even by kill -9 (tessera launch starts its workers so).")
    var exitWithParent = false

    @Option(help: "Simulate a slower device: training takes this many times as long (1: as this machine).")
    var slowdown: Double = 1

    @Option(help: "Simulate a link: seconds of latency each way.")
    var latency: Double = 0

    @Option(help: "Simulate a link: megabits per second each way (0: unlimited).")
    var bandwidth: Double = 0

    @Option(help: "Simulate a link: fraction of packets lost (TCP resends each after a retransmission timeout).")
    var loss: Double = 0

    @Option(help: "Simulate a device that comes and goes: probability of leaving after each training task (its update is lost; in a secure round, after sending its masked input).")
    var leave: Double = 0

    @Option(help: "Simulate a device that comes and goes: seconds away each time it leaves (then it registers again).")
    var away: Double = 30

    @Option(help: "Simulate a device that comes and goes: windows of seconds since the start when it is away, e.g. 30-60,90-120.")
    var offline = ""

    @Option(help: "CurveZMQ keys (tessera keys generate): this worker's ID.key, and scheduler.pub to connect, or the clients' .pub files it admits when bound.")
    var keys: String?

    @Flag(help: "Allow --bind beyond this machine without --keys (anyone who reaches the port can use this worker).")
    var insecure = false

    @Option(help: "Comma-separated workers that forward (move) may send tensors to, as ENDPOINT or NAME=ENDPOINT: without --keys, those beyond this machine (loopback ones are always allowed); with --keys, every one, by NAME (NAME.pub is pinned).")
    var forwardTo = ""

    func validate() throws {
        guard (bind == nil) != (connect == nil) else { throw ValidationError("give exactly one of --bind and --connect") }
        guard !id.isEmpty, id.utf8.count <= 200 else { throw ValidationError("--id must be 1 to 200 bytes") }
        if let clients {
            guard clients >= 1, clients <= Topology.maximumClientsPerProcess else {
                throw ValidationError("--clients must be 1 to \(Topology.maximumClientsPerProcess), not \(clients)")
            }
            guard connect != nil else { throw ValidationError("--clients needs --connect: hosted clients join a scheduler") }
            guard data == nil else { throw ValidationError("--clients takes no --data: each hosted client learns its share from its welcome") }
        }
        guard schedulerTimeout > 0, giveUp >= 0 else { throw ValidationError("--scheduler-timeout must be positive, --give-up at least 0") }
        guard slowdown >= 1, slowdown.isFinite, latency >= 0, latency.isFinite, bandwidth >= 0, bandwidth.isFinite, loss >= 0, loss < 1 else {
            throw ValidationError("--slowdown must be at least 1, --latency and --bandwidth at least 0, --loss in [0, 1)")
        }
        guard leave >= 0, leave <= 1, away >= 0, away.isFinite else { throw ValidationError("--leave must be in [0, 1], --away at least 0") }
        guard maxObjects > 0, maxBytes > 0, maxWork > 0, maxMessageBytes >= 1024 else {
            throw ValidationError("--max-objects, --max-bytes and --max-work must be positive, --max-message-bytes at least 1024")
        }
    }


    func run() throws {
        var samples: UInt64 = 0
        var histogram: [UInt64] = []
        if let data {
            let train = try DataSource.locate(explicit: data == "auto" ? nil : data).load().train
            samples = UInt64(train.count)
            histogram = train.labelHistogram().map { UInt64($0) }
        }
        StopSignal.install()
        // A parent that dies leaves us to another (init): polled with the stop signal.
        let parent = getppid()
        let service = WorkerService(workerID: id, store: ObjectStore(maximumObjects: maxObjects, maximumBytes: maxBytes),
                                    maximumWorkPerRequest: maxWork)
        let endpoint: WorkerRuntime.Endpoint = bind.map { .bind($0) } ?? .connect(connect ?? "")
        let security = try channelSecurity()
        let tracer = noTrace ? nil : try TraceWriter(
            directory: URL(fileURLWithPath: traceDir ?? ProcessInfo.processInfo.environment["TESSERA_TRACE_DIR"] ?? "runs/traces"),
            process: id)
        let runtime = try WorkerRuntime(service: service, endpoint: endpoint,
                                        limits: WireLimits(maximumMessageBytes: maxMessageBytes),
                                        sampleCount: samples, labelHistogram: histogram, tracer: tracer, security: security,
                                        link: LinkProfile(latency: latency, bytesPerSecond: bandwidth > 0 ? bandwidth * 1e6 / 8 : nil,
                                                          loss: loss))
        runtime.device = SimulatedDevice(extraSeconds: slow, slowdown: slowdown,
                                         availability: Availability(leave: leave, away: away, offline: try offlineWindows(),
                                                                    seed: WorkerRuntime.seed(of: id) &+ 1))
        runtime.hostedClients = clients ?? 0
        runtime.schedulerTimeout = schedulerTimeout
        runtime.giveUpAfter = giveUp
        runtime.forwardTargets = try forwardTargets()
        runtime.secureIdentity = try secureIdentity()
        runtime.onTaskStarted = { client, message in
            FileHandle.standardOutput.write(Data("worker \(client): round \(message.round) \(message.kindName)\n".utf8))
        }
        // Written straight to the file descriptor: whoever started us waits for this line.
        let hosting = clients.map { " hosting \($0) clients," } ?? ""
        FileHandle.standardOutput.write(Data("worker \(id)\(hosting) serving on \(runtime.address)\n".utf8))
        try runtime.run(until: { StopSignal.isRaised || (exitWithParent && getppid() != parent) })
        FileHandle.standardOutput.write(Data("worker \(id) stopped\n".utf8))
    }

    /// `--offline`'s windows.
    func offlineWindows() throws -> [ClosedRange<Double>] {
        try offline.split(separator: ",").map { window in
            let bounds = window.split(separator: "-").compactMap { Double($0) }
            guard bounds.count == 2, bounds[0] >= 0, bounds[0] < bounds[1], bounds[1].isFinite else {
                throw ValidationError("--offline \(offline): each window is START-END in seconds since the start, START < END")
            }
            return bounds[0]...bounds[1]
        }
    }

    /// `--forward-to`'s workers: endpoints, or over CURVE with each NAME's pinned public key.
    func forwardTargets() throws -> ForwardTargets {
        let entries = forwardTo.split(separator: ",").map { entry in
            // NAME=ENDPOINT; an endpoint's own '=' (an ipc path) comes after its "://".
            let equals = entry.firstIndex(of: "="), scheme = entry.range(of: "://")
            guard let equals, scheme.map({ equals < $0.lowerBound }) ?? true else { return (name: String?.none, endpoint: String(entry)) }
            return (name: String(entry[..<equals]), endpoint: String(entry[entry.index(after: equals)...]))
        }
        guard let keys else { return ForwardTargets(endpoints: Set(entries.map(\.endpoint))) }
        let directory = KeyDirectory(URL(fileURLWithPath: keys))
        var serverKeys: [String: String] = [:]
        for entry in entries {
            guard let name = entry.name else {
                throw ValidationError("--forward-to \(entry.endpoint): with --keys, name the worker there (NAME=ENDPOINT) so that its key NAME.pub is pinned")
            }
            serverKeys[entry.endpoint] = try directory.publicKey(name)
        }
        return ForwardTargets(keys: try directory.pair(id), serverKeys: serverKeys)
    }

    /// With `--keys`, the identity that signs this worker's secure-aggregation keys and checks
    /// the others' against their `NAME.sign` in the directory; nil without keys.
    private func secureIdentity() throws -> SigningIdentity? {
        guard let keys else { return nil }
        let directory = KeyDirectory(URL(fileURLWithPath: keys))
        let pair = try directory.pair(id)
        var trusted = try directory.signingKeys()
        trusted[id] = try pair.signingPublicKey()
        return try SigningIdentity(privateKey: try pair.signingSeed(), verifyingKeys: trusted)
    }

    /// The channel's security: none without `--keys` (refused when binding beyond this machine
    /// unless `--insecure`); with them, a CURVE client pinning scheduler.pub, or a CURVE server
    /// admitting the other .pub files.
    func channelSecurity() throws -> ChannelSecurity {
        guard let keys else {
            if let bind, !Endpoint.isLoopback(bind), !insecure {
                throw ValidationError("--bind \(bind) listens beyond this machine without keys, so anyone who reaches it could use this worker; make keys with 'tessera keys generate \(id) CLIENT... --dir keys' and pass --keys keys, or accept the risk with --insecure")
            }
            return .none
        }
        let directory = KeyDirectory(URL(fileURLWithPath: keys))
        let pair = try directory.pair(id)
        guard bind != nil else { return .curveClient(keys: pair, serverKey: try directory.publicKey(KeyDirectory.schedulerName)) }
        return .curveServer(keys: pair, allowed: try directory.allowlist(except: id))
    }
}
