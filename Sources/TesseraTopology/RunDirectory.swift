import Foundation
import TesseraScheduler
import TesseraTransport

/// Where one launch keeps what it produced: `<runs>/<name>/<YYYYMMDD-HHMMSS>`, made fresh for
/// every launch and never deleted by a later one; `<runs>/latest` and `<runs>/<name>/latest`
/// point at the newest. It holds `topology.yaml` (the resolved settings, from which the run can
/// be resumed), `status.json` (running, finished, failed or interrupted), the metrics, the
/// checkpoint, `traces/` and `logs/`.
public struct RunDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// An existing run directory.
    public init(_ url: URL) {
        self.url = url
    }

    /// A new directory for a launch of `topology` at `date`, with its snapshot written and the
    /// `latest` links moved to it.
    ///
    /// - Throws: ``TopologyError`` when it cannot be made.
    public static func create(for topology: Topology, at date: Date = Date()) throws -> RunDirectory {
        let parent = URL(fileURLWithPath: topology.runsDirectory).appendingPathComponent(topology.name)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = formatter.string(from: date)
        var url = parent.appendingPathComponent(stamp)
        var suffix = 2
        while FileManager.default.fileExists(atPath: url.path) {
            url = parent.appendingPathComponent("\(stamp)-\(suffix)")
            suffix += 1
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data(snapshot(of: topology).utf8).write(to: url.appendingPathComponent("topology.yaml"))
        } catch {
            throw TopologyError(file: url.path, line: nil, key: "runs", message: "cannot make the run directory: \(FileFailure.reason(error))")
        }
        for (link, target) in [(parent.appendingPathComponent("latest"), url.lastPathComponent),
                               (URL(fileURLWithPath: topology.runsDirectory).appendingPathComponent("latest"), "\(topology.name)/\(url.lastPathComponent)")] {
            try? FileManager.default.removeItem(at: link)
            try? FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target)
        }
        return RunDirectory(url)
    }

    /// The directory at `url` for a run of `topology` started by hand (`tessera scheduler
    /// --run-dir`, a Slurm job submitted with sbatch): made if need be, with the snapshot
    /// written unless one is there already (a launch's, or that of the run it resumes).
    ///
    /// - Throws: ``TopologyError`` when it cannot be made.
    public static func prepare(_ url: URL, for topology: Topology) throws -> RunDirectory {
        let snapshot = url.appendingPathComponent("topology.yaml")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: snapshot.path) { try Data(Self.snapshot(of: topology).utf8).write(to: snapshot) }
        } catch {
            throw TopologyError(file: url.path, line: nil, key: "--run-dir", message: "cannot make the run directory: \(FileFailure.reason(error))")
        }
        return RunDirectory(url)
    }

    /// The run `reference` names: a run directory, `latest` (the newest run), or a topology
    /// name (its newest run), under `runs`.
    ///
    /// - Throws: ``TopologyError`` when there is no such run.
    public static func resolve(_ reference: String, runs: String = "runs") throws -> RunDirectory {
        let candidates = [URL(fileURLWithPath: reference), URL(fileURLWithPath: runs).appendingPathComponent(reference == "latest" ? "latest" : "\(reference)/latest")]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("topology.yaml").path) {
            return RunDirectory(candidate.resolvingSymlinksInPath())
        }
        throw TopologyError(file: reference, line: nil, key: nil,
                            message: "is not a run: no run directory with a topology.yaml there, nor a run of a topology by that name in \(runs) (tessera runs lists them)")
    }

    /// The topology the run was launched with, from its snapshot, with `overrides` on top.
    ///
    /// - Throws: ``TopologyError``.
    public func topology(overrides: [String] = []) throws -> Topology {
        try TopologyParser.load(url.appendingPathComponent("topology.yaml"), overrides: overrides)
    }

    /// The settings of `topology` that differ from the defaults, as a topology file of dotted
    /// keys that reads back as the same topology.
    public static func snapshot(of topology: Topology) -> String {
        let defaults = Topology()
        var lines = ["# The resolved settings of this run (tessera launch --resume DIR continues it)."]
        for setting in Topology.table.settings where setting.value(in: topology) != setting.value(in: defaults) {
            let value = setting.items.map { "[" + $0(topology).map(scalar).joined(separator: ", ") + "]" } ?? scalar(setting.value(in: topology))
            lines.append("\(setting.key): \(value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` as YAML: a number or a boolean as it is (`rounds: 5`), anything else quoted.
    private static func scalar(_ text: String) -> String {
        let number = text.range(of: #"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil
        return number || text == "true" || text == "false" ? text : quoted(text)
    }

    /// `text` as a YAML double-quoted scalar (JSON's string syntax is a subset of YAML's).
    private static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}

extension RunDirectory {
    /// How a run stands, in `status.json`.
    public struct Status: Codable, Sendable, Equatable {
        /// `running`, `finished`, `failed` or `interrupted` (Ctrl-C; or running, by a process that is gone).
        public var state: String
        /// The process that runs it, and its host (nil in records written before hosts were).
        public var pid: Int32
        public var host: String?
        /// When it started and, once over, ended.
        public var started: Date
        public var ended: Date?
        /// Why it failed.
        public var error: String?
        /// Which process `pid` is, beyond its number (nil in records written before it was,
        /// and without `/proc`).
        var process: RecordedProcess?

        /// A status of a run in `state`, by process `pid` on `host`, started at `started`.
        public init(state: String, pid: Int32, host: String?, started: Date, ended: Date? = nil, error: String? = nil) {
            (self.state, self.pid, self.host, self.started, self.ended, self.error) = (state, pid, host, started, ended, error)
        }
    }

    private var statusURL: URL { url.appendingPathComponent("status.json") }

    /// Records `status`: written whole beside the file, then renamed into place; on a disk with
    /// no room for that copy, over the file itself (emptying it first frees its room); and when
    /// not even that can be written, the file is removed rather than left saying what is no
    /// longer so (a run that failed on a full disk was listed as running).
    public func write(_ status: Status) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(status) else { return }
        if (try? data.write(to: statusURL, options: .atomic)) != nil { return }
        if let handle = try? FileHandle(forWritingTo: statusURL) {
            defer { try? handle.close() }
            if (try? handle.truncate(atOffset: 0)) != nil, (try? handle.write(contentsOf: data)) != nil { return }
        }
        try? FileManager.default.removeItem(at: statusURL)
        FileHandle.standardError.write(Data("warning: cannot record the run's status in \(statusURL.path) (is the disk full?)\n".utf8))
    }

    /// The run's status; a run recorded as running by a process of this host that is gone (or
    /// has exited, or whose number a later process now has) was interrupted.
    public var status: Status? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = try? Data(contentsOf: statusURL), var status = try? decoder.decode(Status.self, from: data) else { return nil }
        let here = status.host == nil || status.host == ProcessInfo.processInfo.hostName
        if status.state == "running" && here && !RecordedProcess.isRunning(status.pid, as: status.process) {
            status.state = "interrupted"
        }
        return status
    }

    /// The run's ``status``, once its process is gone or `seconds` have passed: a process
    /// killed a moment ago is still exiting (its memory being given back).
    public func waitingForItsProcess(seconds: Double) -> Status? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var status = self.status
        while status?.state == "running" && Date() < deadline {
            usleep(50_000)
            status = self.status
        }
        return status
    }

    /// Runs `body`, recording in `status.json` that the run is running (by this process), then
    /// how it ended: finished, interrupted (``/TesseraScheduler/SchedulerError/interrupted(phase:)``) or failed,
    /// with the error.
    public func recording<T>(_ body: () throws -> T) throws -> T {
        var status = Status(state: "running", pid: getpid(), host: ProcessInfo.processInfo.hostName, started: Date())
        status.process = .current
        write(status)
        do {
            let result = try body()
            status.state = "finished"
            status.ended = Date()
            write(status)
            return result
        } catch {
            if case .interrupted? = error as? SchedulerError { status.state = "interrupted" } else { status.state = "failed" }
            status.ended = Date()
            status.error = FileFailure.describe(error)
            write(status)
            throw error
        }
    }
}
