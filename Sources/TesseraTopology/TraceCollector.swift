import Foundation
import TesseraTrace
import TesseraTransport

/// Brings worker traces written on other hosts into a run's `traces/`, so that the run's trace
/// tools and report see every process: from `[USER@]HOST:DIR` through ssh (batch mode: keys, no
/// password prompt; the files come as a tar stream, so the host needs neither scp nor an sftp
/// server, only tar), or from a local directory. Files land in a fresh folder first and are
/// then moved into place, so a source that is the destination itself (a loopback host) is
/// never truncated by its own copy.
public struct TraceCollector {
    /// The run's trace directory.
    public let traces: URL
    /// Options for ssh (`-p PORT`, `-i KEY`, `-o …`).
    public let sshOptions: [String]

    /// A collector into `runDirectory/traces`, passing `sshOptions` to ssh.
    public init(runDirectory: URL, sshOptions: [String] = []) {
        traces = runDirectory.appendingPathComponent("traces")
        self.sshOptions = sshOptions
    }

    /// Copies every trace file in `source` (`[USER@]HOST:DIR` or a local directory) into the
    /// run's traces, replacing files of the same name; returns the names collected.
    ///
    /// - Throws: ``TopologyError`` when the source cannot be read (ssh failed, no such
    ///   directory) or holds no trace.
    public func collect(from source: String) throws -> [String] {
        let staging = traces.appendingPathComponent(".collecting-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw TopologyError(file: traces.path, line: nil, key: nil, message: "cannot collect traces here: \(FileFailure.describe(error))")
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        if let remote = Self.remote(source) {
            try fetch(remote, into: staging, source: source)
        } else {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: source) else {
                throw TopologyError(file: source, line: nil, key: nil, message: "no such directory")
            }
            for name in names where name.hasSuffix(TraceReader.fileSuffix) {
                do {
                    try FileManager.default.copyItem(at: URL(fileURLWithPath: source).appendingPathComponent(name),
                                                     to: staging.appendingPathComponent(name))
                } catch {
                    throw TopologyError(file: source, line: nil, key: nil, message: "cannot copy \(name): \(FileFailure.describe(error))")
                }
            }
        }
        let collected = ((try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? [])
            .filter { $0.hasSuffix(TraceReader.fileSuffix) }.sorted()
        guard !collected.isEmpty else { throw TopologyError(file: source, line: nil, key: nil, message: "holds no *\(TraceReader.fileSuffix) files") }
        for name in collected {
            let target = traces.appendingPathComponent(name)
            _ = try? FileManager.default.removeItem(at: target)
            do {
                try FileManager.default.moveItem(at: staging.appendingPathComponent(name), to: target)
            } catch {
                throw TopologyError(file: target.path, line: nil, key: nil, message: "cannot put the collected trace here: \(FileFailure.describe(error))")
            }
        }
        return collected
    }

    /// Streams `remote`'s trace files into `staging`: `ssh HOST 'cd DIR && tar cf - *.trace.jsonl'`
    /// read by a local `tar xf -`.
    ///
    /// - Throws: ``TopologyError`` when either side fails.
    private func fetch(_ remote: (host: String, directory: String), into staging: URL, source: String) throws {
        let (ssh, tar, stream) = (Process(), Process(), Pipe())
        ssh.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        let directory = "'" + remote.directory.replacingOccurrences(of: "'", with: "'\\''") + "'"
        ssh.arguments = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] + sshOptions
            + [remote.host, "cd \(directory) && tar cf - -- *\(TraceReader.fileSuffix)"]
        ssh.standardInput = FileHandle.nullDevice
        ssh.standardOutput = stream
        ssh.standardError = FileHandle.nullDevice
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["xf", "-", "-C", staging.path]
        tar.standardInput = stream
        tar.standardError = FileHandle.nullDevice
        do {
            try ssh.run()
            try tar.run()
        } catch {
            throw TopologyError(file: source, line: nil, key: nil, message: "cannot start ssh or tar: \(FileFailure.describe(error))")
        }
        ssh.waitUntilExit()
        tar.waitUntilExit()
        guard ssh.terminationStatus == 0, tar.terminationStatus == 0 else {
            throw TopologyError(file: source, line: nil, key: nil,
                                message: "ssh exited with \(ssh.terminationStatus), tar with \(tar.terminationStatus): no traces there, or the host cannot be reached without a password (ssh keys, BatchMode)")
        }
    }

    /// The host and directory of `[USER@]HOST:DIR`; nil for a local path.
    static func remote(_ source: String) -> (host: String, directory: String)? {
        guard !source.hasPrefix("/"), !source.hasPrefix("."), let colon = source.firstIndex(of: ":") else { return nil }
        let host = String(source[..<colon]), directory = String(source[source.index(after: colon)...])
        guard !host.isEmpty, !host.contains("/") else { return nil }
        return (host, directory.isEmpty ? "." : directory)
    }
}
