import Foundation
import Synchronization

/// Starts a `tessera` subcommand for a test, waits for a line on its standard output (not a
/// sleep), and kills it when the harness goes away, on every exit path.
public final class ProcessHarness: @unchecked Sendable {
    // @unchecked: `process` is only used from the test's thread; `printed` guards its own state.
    public let process = Process()
    /// What the process printed, shared with the thread that reads it.
    private let printed = PrintedLines()
    private let output = Pipe()

    /// The tessera executable built beside the test bundle.
    public static var tesseraPath: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("tessera")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/tessera"
    }

    /// Runs `tessera` with `arguments`, or with `wrapper` in front (e.g. `ip netns exec NS`);
    /// with `includingErrors`, standard error counts as output too.
    public convenience init(_ arguments: [String], wrapper: [String] = [], includingErrors: Bool = false) throws {
        try self.init(program: nil, arguments, wrapper: wrapper, includingErrors: includingErrors)
    }

    /// Runs `program` (found on PATH by /usr/bin/env) with `arguments` instead of tessera.
    public convenience init(program: String, _ arguments: [String], includingErrors: Bool = false) throws {
        try self.init(program: program as String?, arguments, wrapper: [], includingErrors: includingErrors)
    }

    private init(program: String?, _ arguments: [String], wrapper: [String], includingErrors: Bool) throws {
        if let program {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        } else if let tool = wrapper.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(wrapper.dropFirst()) + [Self.tesseraPath] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.tesseraPath)
            process.arguments = arguments
        }
        process.standardOutput = output
        process.standardError = includingErrors ? output : FileHandle.nullDevice
        try process.run()
        // The output is read by a thread of its own, with blocking reads, not by a
        // `readabilityHandler`: tearing down that handler's dispatch source races libdispatch's
        // epoll loop on Linux, which crashed test processes now and then in
        // `_dispatch_event_loop_drain` (swift-corelibs-foundation#3276). The thread ends when
        // the output does: every writer closed it (the harness kills the process as it goes).
        // The thread holds the read end, so that it stays open (its number not reused) while read.
        let reading = output.fileHandleForReading
        let reader = Thread { [printed] in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reading.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                printed.take(count > 0 ? Data(buffer[..<count]) : Data())
                if count <= 0 { break }
            }
            printed.ended.withLock { $0 = true }
        }
        reader.name = "harness-output"
        reader.start()
    }

    /// The first output line containing `marker`, waiting up to `timeout` seconds.
    public func waitForLine(containing marker: String, timeout: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var exited: Date?
        while Date() < deadline {
            if let line = printed.lines.withLock({ $0.first { $0.contains(marker) } }) { return line }
            // A process that exited may have printed its last lines into the pipe still unread:
            // look until the pipe ends (not forever: a child it left may hold it open).
            if !process.isRunning {
                if exited == nil { exited = Date() }
                if printed.ended.withLock({ $0 }) || Date().timeIntervalSince(exited ?? Date()) > 2 { break }
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        if let line = printed.lines.withLock({ $0.first { $0.contains(marker) } }) { return line }
        throw HarnessError(description: "no line containing '\(marker)' within \(timeout) s (or before the process exited); output: \(printed.lines.withLock { $0 })")
    }

    /// The exit status, waiting up to `timeout` seconds for the process to end (nil if it did not).
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        guard !process.isRunning else { return nil }
        // What it printed last may still be in the pipe: read to its end (a child process it
        // left behind may hold the pipe open, so not forever).
        let drained = Date().addingTimeInterval(2)
        while !printed.ended.withLock({ $0 }) && Date() < drained { Thread.sleep(forTimeInterval: 0.01) }
        return process.terminationStatus
    }

    /// Everything the process has printed so far, line by line.
    public var outputLines: [String] { printed.lines.withLock { $0 } }

    /// Sends `signal` and waits up to `timeout` seconds for the exit status.
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        return waitForExit(timeout: timeout)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A process's output as lines, filled by the thread reading it.
private final class PrintedLines: Sendable {
    let lines = Mutex<[String]>([])
    /// Output read but not yet a whole line.
    let pending = Mutex(Data())
    /// Whether the output reached its end (every writer closed it).
    let ended = Mutex(false)

    /// Adds what was read: reads come in chunks that may end mid-line, so the tail waits for
    /// the rest, or for the end (`data` empty).
    func take(_ data: Data) {
        pending.withLock { pending in
            pending += data
            var complete = data.isEmpty ? pending.endIndex : (pending.lastIndex(of: 0x0A).map { $0 + 1 } ?? pending.startIndex)
            if complete < pending.startIndex { complete = pending.startIndex }
            let text = String(decoding: pending[pending.startIndex..<complete], as: UTF8.self)
            pending = Data(pending[complete...])
            lines.withLock { $0 += text.split(separator: "\n").map(String.init) }
        }
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// A running `tessera worker --bind` on a free loopback port, and its endpoint.
/// Traces go to a per-test-run temporary directory unless `extra` says otherwise.
public func startWorker(id: String = "bob", extra: [String] = []) throws -> (ProcessHarness, String) {
    let trace = extra.contains("--trace-dir") || extra.contains("--no-trace") ? [] : ["--trace-dir", temporaryTraceDirectory.path]
    let harness = try ProcessHarness(["worker", "--bind", "tcp://127.0.0.1:0", "--id", id] + trace + extra)
    let line = try harness.waitForLine(containing: "serving on")
    guard let endpoint = line.split(separator: " ").last.map(String.init) else {
        throw HarnessError(description: "unexpected line '\(line)'")
    }
    return (harness, endpoint)
}

/// A directory for the traces of the processes a test process starts, removed when it exits.
public let temporaryTraceDirectory: URL = {
    atexit { try? FileManager.default.removeItem(at: temporaryTraceDirectory) }
    return FileManager.default.temporaryDirectory.appendingPathComponent("tessera-traces-\(ProcessInfo.processInfo.processIdentifier)")
}()

/// Whether any process has `text` in its command line (`pgrep -f`): tests use a run's trace
/// directory to check that no worker outlives a launch.
public func processesRunning(withCommandLineContaining text: String) throws -> Bool {
    try !processIDs(withCommandLineContaining: text).isEmpty
}

/// The processes whose command line holds `text` (`pgrep -f`): a test finds the workers a
/// launch it started runs by their run's unique trace directory, and only those.
public func processIDs(withCommandLineContaining text: String) throws -> [Int32] {
    let pgrep = Process()
    pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
    pgrep.arguments = ["-f", "--", text]
    let output = Pipe()
    pgrep.standardOutput = output
    try pgrep.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    pgrep.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
}

/// Whether python3 with pyzmq and numpy can run here (make test installs them).
public let pythonWithZMQ = pythonImports("zmq, numpy")

/// Whether python3 with PyTorch and safetensors can run here (make test installs them).
public let pythonWithTorch = pythonImports("torch, safetensors")

/// Whether python3 with numpy can run here (make test installs it).
public let pythonWithNumPy = pythonImports("numpy")

/// Whether `python3 -c "import MODULES"` succeeds.
public func pythonImports(_ modules: String) -> Bool {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = ["python3", "-c", "import \(modules)"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
}

/// Starts `tessera scheduler` on a free loopback port with `arguments` (run settings, a run
/// directory) and returns it with the endpoint it printed once listening; with
/// `includingErrors`, its standard error is among its lines too.
public func startScheduler(_ arguments: [String], includingErrors: Bool = false) throws -> (ProcessHarness, String) {
    let scheduler = try ProcessHarness(["scheduler", "--bind", "tcp://127.0.0.1:0"] + arguments, includingErrors: includingErrors)
    let line = try scheduler.waitForLine(containing: "listening on")
    return (scheduler, String(line.split(separator: " ").last ?? ""))
}

