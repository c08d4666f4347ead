import ArgumentParser
import Foundation
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

/// `tessera bench transport`: tensor messages between two processes over tcp and ipc —
/// one-way throughput (as libzmq's local_thr measures it), put+get round trips against a real
/// worker, small-op latency — and the codec alone.
struct TransportBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Tensor transfer GB/s, round trips and op latency between processes (JSON: transport, bytes, pattern, gbps, msgs_per_s, rtt_us).")

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    @Option(help: "Comma-separated tensor sizes in bytes.")
    var sizes = "4096,1048576,16777216"

    @Option(help: "Transports to measure: tcp, ipc.")
    var transports = "tcp,ipc"

    @Option(help: "What to measure: codec, one-way, round-trip (comma-separated).")
    var patterns = "codec,one-way,round-trip"

    @Option(help: "Sink runs (fresh process pairs) per one-way figure; the median is reported.")
    var runs = 3

    @Flag(help: "One-way over CurveZMQ (fresh keys; the sink admits only the sender's), tcp only.")
    var curve = false

    private var byteSizes: [Int] { sizes.split(separator: ",").compactMap { Int($0) } }
    private var selectedPatterns: Set<String> { Set(patterns.split(separator: ",").map(String.init)) }

    func validate() throws {
        guard !byteSizes.isEmpty, byteSizes.allSatisfy({ $0 >= 4 && $0 % 4 == 0 }) else {
            throw ValidationError("--sizes must list multiples of 4 bytes")
        }
        guard transports.split(separator: ",").allSatisfy({ $0 == "tcp" || $0 == "ipc" }) else {
            throw ValidationError("--transports takes tcp and/or ipc")
        }
        guard !selectedPatterns.isEmpty, selectedPatterns.isSubset(of: ["codec", "one-way", "round-trip"]) else {
            throw ValidationError("--patterns takes codec, one-way and/or round-trip")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let chosen = selectedPatterns
        if chosen.contains("codec") {
            try codecThroughput()
            try traceCost()
        }
        for transport in transports.split(separator: ",").map(String.init) {
            if chosen.contains("one-way") {
                for size in byteSizes { try oneWay(transport: transport, size: size) }
            }
            if chosen.contains("round-trip") {
                try roundTrips(transport: transport, traced: false)
                try roundTrips(transport: transport, traced: true)
            }
        }
    }

    /// The codec alone: encode + decode, GB of tensor payload per second.
    private func codecThroughput() throws {
        let codec = WireCodec()
        for size in byteSizes {
            let tensor = try Tensor.uniform([size / 4], seed: 1)
            let samples = Stopwatch(reps: 5, minTime: 0.2).measure {
                _ = try? codec.decode(codec.encode(Envelope(id: 1, message: .put(id: 1, tensor: tensor))))
            }
            report(transport: "none", bytes: size, pattern: "codec", seconds: samples.seconds.median, count: 1)
        }
    }

    /// What recording one message costs (the trace hook's price per message).
    private func traceCost() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-trace-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tracer = try TraceWriter(directory: directory, process: "bench")
        let samples = Stopwatch(reps: 5, minTime: 0.1).measure {
            tracer.message(peer: "tcp://127.0.0.1:5555", direction: "send", type: "put", id: 1, replyTo: 0, round: 0, bytes: 4096)
        }
        report(transport: "none", bytes: 0, pattern: "trace-event", seconds: samples.seconds.median, count: 1)
    }

    private func endpoint(_ transport: String) -> String {
        transport == "tcp" ? "tcp://127.0.0.1:0" : "ipc:///tmp/tessera-bench-\(ProcessInfo.processInfo.processIdentifier).ipc"
    }

    private static func messageCount(_ size: Int) -> Int {
        size <= 4096 ? 200_000 : size <= 1 << 20 ? 3_000 : 200
    }

    /// The median of `runs` sink runs (fresh process pairs, as zmq_thr.py does).
    private func oneWay(transport: String, size: Int) throws {
        let count = Self.messageCount(size)
        let seconds = try (0..<runs).map { _ in try oneWayRun(transport: transport, size: size, count: count) }
        report(transport: transport, bytes: size, pattern: curve ? "one-way curve" : "one-way", seconds: seconds.median / Double(count - 1),
               count: count)
    }

    /// Spawns a sink process, streams `count` put messages at it, and returns its seconds from
    /// first to last message.
    private func oneWayRun(transport: String, size: Int, count: Int) throws -> Double {
        let (server, client) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let sink = Process()
        sink.executableURL = ThisExecutable.url
        sink.arguments = ["bench", "transport-sink", "--endpoint", endpoint(transport), "--count", String(count)]
            + (curve ? ["--curve-secret", server.secretKey, "--curve-client", client.publicKey] : [])
        let output = Pipe()
        sink.standardOutput = output
        try sink.run()
        defer { if sink.isRunning { sink.terminate() } }
        let reader = output.fileHandleForReading
        guard let address = Self.readLine(reader), address.hasPrefix("bound ") else {
            throw ValidationError("the sink did not start")
        }
        let channel = try Transport.zeroMQ.connect(String(address.dropFirst("bound ".count)),
                                                   security: curve ? .curveClient(keys: client, serverKey: server.publicKey) : .none)
        let frames = try WireCodec().encode(Envelope(id: 1, message: .put(id: 1, tensor: Tensor.uniform([size / 4], seed: 2))))
        for _ in 0..<count { try channel.sendRaw(frames, to: nil) }
        guard let result = Self.readLine(reader), let seconds = Double(result) else { throw ValidationError("the sink did not report") }
        sink.waitUntilExit()
        return seconds
    }

    /// Put + get round trips and a one-element relu against a real worker process; `traced`:
    /// the worker and this client record every message (the default for workers).
    private func roundTrips(transport: String, traced: Bool) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-trace-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let worker = Process()
        worker.executableURL = ThisExecutable.url
        worker.arguments = ["worker", "--bind", endpoint(transport), "--id", "bench"]
            + (traced ? ["--trace-dir", directory.path] : ["--no-trace"])
        let output = Pipe()
        worker.standardOutput = output
        try worker.run()
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        guard let line = Self.readLine(output.fileHandleForReading), let address = line.split(separator: " ").last else {
            throw ValidationError("the worker did not start")
        }
        let client = try RequestClient(connectingTo: String(address),
                                       tracer: traced ? try TraceWriter(directory: directory, process: "client") : nil)
        let suffix = traced ? " traced" : ""
        for size in byteSizes {
            let tensor = try Tensor.uniform([size / 4], seed: 3)
            let samples = try Stopwatch(reps: 5, minTime: 0.2).measure {
                _ = try client.request(.put(id: 1, tensor: tensor))
                _ = try client.request(.get(id: 1))
            }
            report(transport: transport, bytes: size, pattern: "put+get" + suffix, seconds: samples.seconds.median, count: 1, roundTrip: true)
        }
        _ = try client.request(.put(id: 2, tensor: Tensor([1])))
        let samples = try Stopwatch(reps: 5, minTime: 0.2).measure {
            _ = try client.request(.exec(PlanStep(op: .relu, inputs: [2], output: 3)))
        }
        report(transport: transport, bytes: 4, pattern: "small-op" + suffix, seconds: samples.seconds.median, count: 1, roundTrip: true)
    }

    /// One line of `handle`'s output, without the newline (nil at end of file).
    static func readLine(_ handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let first = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if first == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
    }

    /// `seconds` is per message (one-way, codec) or per round trip.
    private func report(transport: String, bytes: Int, pattern: String, seconds: Double, count: Int, roundTrip: Bool = false) {
        let payload = roundTrip && pattern.hasPrefix("put+get") ? 2 * bytes : bytes
        let gbps = Double(payload) / seconds / 1e9
        if json {
            var fields: KeyValuePairs<String, Any> = ["transport": transport, "bytes": bytes, "pattern": pattern,
                                                      "gbps": gbps, "msgs_per_s": 1 / seconds]
            if roundTrip {
                fields = ["transport": transport, "bytes": bytes, "pattern": pattern, "gbps": gbps,
                          "msgs_per_s": 1 / seconds, "rtt_us": seconds * 1e6]
            }
            printJSONLine(fields)
        } else {
            let rtt = roundTrip ? String(format: "  rtt %.1f us", seconds * 1e6) : ""
            print(String(format: "%-5@ %9d  %-16@ %7.2f GB/s %10.0f msgs/s%@", transport as NSString, bytes,
                         pattern as NSString, gbps, 1 / seconds, rtt as NSString))
        }
    }
}

/// The receiving half of the one-way benchmark (started by `bench transport`): binds, prints
/// "bound ENDPOINT", receives and decodes `count` messages, prints the seconds from the first
/// to the last.
struct TransportSinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transport-sink", shouldDisplay: false)

    @Option var endpoint: String
    @Option var count: Int
    @Option var curveSecret: String?
    @Option var curveClient: String?

    func run() throws {
        let security: ChannelSecurity = if let curveSecret, let curveClient {
            .curveServer(keys: try CurveKeyPair(secretKey: curveSecret), allowed: [curveClient: "bench"])
        } else {
            .none
        }
        let channel = try Transport.zeroMQ.bind(endpoint, security: security)
        FileHandle.standardOutput.write(Data("bound \(channel.address)\n".utf8))
        var start = 0.0
        for index in 0..<count {
            guard let delivery = try channel.receive(timeout: 30) else { throw ValidationError("sink timed out") }
            _ = try delivery.envelope.get()
            if index == 0 { start = Date().timeIntervalSince1970 }
        }
        FileHandle.standardOutput.write(Data("\(Date().timeIntervalSince1970 - start)\n".utf8))
    }
}
