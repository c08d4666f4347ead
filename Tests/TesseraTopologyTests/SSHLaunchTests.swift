import Foundation
import Testing
import TesseraTestSupport
import TesseraTopology

/// `launch: ssh` for real: an sshd of the test's own on a loopback port (keys made for the
/// test, no system configuration touched), and a topology whose workers are started through it.
@Suite("tessera launch over ssh", .serialized)
struct SSHLaunchTests {
    static let tools = ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]
    /// sshd needs root for its privilege separation; CI runs as root.
    static let available = getuid() == 0 && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: available, "needs root and openssh-server (apt-get install -y openssh-server)"), arguments: [false, true])
    func workersStartOverSSHAndTheRunCompletes(secured: Bool) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-ssh-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sshd = try LoopbackSSHD(directory: directory)
        defer { sshd.stop() }

        let topology = directory.appendingPathComponent("ssh.yaml")
        let keys = directory.appendingPathComponent("keys")
        if secured {
            let generate = try ProcessHarness(["keys", "generate", "scheduler", "worker-000", "worker-001", "--dir", keys.path])
            #expect(generate.waitForExit(timeout: 30) == 0)
        }
        try """
        name: over-ssh
        scheduler:
          bind: tcp://127.0.0.1:0
        workers:
          count: 2
          launch: ssh
          hosts: [root@127.0.0.1]
          binary: \(ProcessHarness.tesseraPath)
          directory: \(directory.path)
          ssh_options: [\(sshd.clientOptions.map { "\"\($0)\"" }.joined(separator: ", "))]
        data:
          source: synthetic
        model: logreg
        training:
          rounds: 1
          batch_size: 32
          lr: 0.1
          deadline: 120
        runs: \(directory.path)
        security:
          keys: "\(secured ? keys.path : "")"
        """.write(to: topology, atomically: true, encoding: .utf8)

        let launch = try ProcessHarness(["launch", topology.path])
        let done = try launch.waitForLine(containing: "done:", timeout: 120)
        #expect(done.contains("final accuracy"))
        // The workers' traces (written "remotely") are collected through scp.
        #expect(launch.outputLines.contains { $0.contains("collected") && $0.contains("trace(s) from root@127.0.0.1") }, "\(launch.outputLines)")
        #expect(launch.stop(timeout: 20) == 0)
        // Both workers came in through this sshd, and none outlives the launch.
        // (twice as many logins when secured: one to put each worker's key in place; and one
        // to collect the traces.)
        #expect(try sshd.log().components(separatedBy: "Accepted publickey").count - 1 == (secured ? 5 : 3))
        #expect(try !processesRunning(withCommandLineContaining: directory.appendingPathComponent("over-ssh/traces").path), "remote workers are still running")
        if secured {
            // Each worker got its own secret key, the scheduler's public key and the signing
            // public keys (NAME.sign) secure aggregation checks the others' round keys against;
            // no other secret.
            for id in ["worker-000", "worker-001"] {
                let remote = directory.appendingPathComponent(".tessera-keys/over-ssh/\(id)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: remote.path).sorted()
                        == ["scheduler.pub", "\(id).key", "scheduler.sign", "worker-000.sign", "worker-001.sign"].sorted())
                let mode = try FileManager.default.attributesOfItem(atPath: remote.appendingPathComponent("\(id).key").path)[.posixPermissions] as? Int
                #expect(mode == 0o600)
            }
        }
    }
}

/// An sshd on 127.0.0.1 with its own host key, one authorized client key and a free port,
/// killed by `stop()`.
///
/// The tools are started with `posix_spawn` and reaped with `waitpid` rather than through
/// Foundation's `Process`, which left the readiness probe's `ssh` an unreaped zombie (and
/// `waitUntilExit` blocked) when run inside the test runner. Children get a clean signal mask:
/// processes started from the runner may otherwise inherit SIGTERM blocked.
final class LoopbackSSHD {
    let directory: URL
    let port: Int
    private var pid: pid_t = 0
    private var logStart = 0
    private var logURL: URL { directory.appendingPathComponent("sshd.log") }

    /// ssh arguments that reach this server with the test's key.
    var clientOptions: [String] {
        ["-p", String(port), "-i", directory.appendingPathComponent("client_key").path,
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
    }

    init(directory: URL) throws {
        self.directory = directory
        for key in ["host_key", "client_key"] {
            let status = try Spawned.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory.appendingPathComponent(key).path])
            guard status == 0 else { throw HarnessError(description: "ssh-keygen exited with \(status)") }
        }
        try FileManager.default.copyItem(at: directory.appendingPathComponent("client_key.pub"),
                                         to: directory.appendingPathComponent("authorized_keys"))
        // Privilege separation wants this directory; Debian creates it only when the service runs.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        port = try freeLoopbackPort()
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(directory.appendingPathComponent("host_key").path)
        AuthorizedKeysFile \(directory.appendingPathComponent("authorized_keys").path)
        PidFile \(directory.appendingPathComponent("sshd.pid").path)
        StrictModes no
        UsePAM no
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        """.write(to: directory.appendingPathComponent("sshd_config"), atomically: true, encoding: .utf8)
        pid = try Spawned.start("/usr/sbin/sshd", ["-D", "-e", "-f", directory.appendingPathComponent("sshd_config").path],
                                errorLog: logURL.path)
        // Ready when a client gets through (not a sleep).
        let deadline = Date().addingTimeInterval(20)
        while try Spawned.run("/usr/bin/ssh", ["-o", "BatchMode=yes", "-o", "ConnectTimeout=2"] + clientOptions + ["root@127.0.0.1", "true"]) != 0 {
            guard Date() < deadline else {
                let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
                stop()
                throw HarnessError(description: "sshd on port \(port) did not accept a login within 20 s; its log: \(log)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        // The readiness login is not one of the run's.
        logStart = try Data(contentsOf: logURL).count
    }

    /// sshd's log since it became ready.
    func log() throws -> String {
        String(decoding: try Data(contentsOf: logURL).dropFirst(logStart), as: UTF8.self)
    }

    /// Stops the server and reaps it.
    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    deinit { stop() }
}

/// The test's child processes (sshd, ssh-keygen), as the launcher starts its own.
enum Spawned {
    /// Starts `tool` with stdin and stdout on /dev/null and stderr on `errorLog` (or /dev/null).
    static func start(_ tool: String, _ arguments: [String], errorLog: String? = nil) throws -> pid_t {
        try ChildProcess.start(tool, arguments, errorLog: errorLog ?? "/dev/null")
    }

    /// Runs `tool` to completion and returns its exit status.
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        ChildProcess.wait(try start(tool, arguments))
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw HarnessError(description: "could not bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
