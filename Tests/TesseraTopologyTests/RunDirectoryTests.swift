import Foundation
import Testing
import TesseraTestSupport
import TesseraTopology

/// What a run directory records when the disk is full, and whether the process it names as
/// running a run still does.
@Suite("Run directories", .serialized)
struct RunDirectoryTests {
    /// tmpfs mounts need root; CI runs as root.
    static let canMount = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")

    /// A status written on a full disk says the run's last state, not the one before it.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs"))
    func theStatusOnAFullDiskIsTheLatest() throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fulldisk-\(UUID())")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mount = try ProcessHarness(program: "mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path])
        try #require(mount.waitForExit(timeout: 10) == 0)
        defer { _ = try? ProcessHarness(program: "umount", [mountPoint.path]).waitForExit(timeout: 10) }
        let run = RunDirectory(mountPoint)
        var status = RunDirectory.Status(state: "running", pid: getpid(), host: ProcessInfo.processInfo.hostName, started: Date())
        run.write(status)
        // Fill the disk.
        let filler = try FileHandle(forWritingTo: { let url = mountPoint.appendingPathComponent("filler"); FileManager.default.createFile(atPath: url.path, contents: nil); return url }())
        while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
        try filler.close()
        status.state = "failed"
        status.error = "no room"
        run.write(status)
        #expect(run.status?.state == "failed" && run.status?.error == "no room")
    }

    /// A run recorded as running by this process is running; the same process number recorded
    /// with another start, or in another boot (the number reused by a later process, or after a
    /// reboot), is a run that was interrupted, and may be resumed. A record that does not say
    /// which process goes by the number.
    @Test func aRunIsRunningOnlyByTheProcessThatRecordedIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-status-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = RunDirectory(directory)
        try run.recording {
            #expect(run.status?.state == "running")
            let recorded = try String(contentsOf: directory.appendingPathComponent("status.json"), encoding: .utf8)
            let start = try #require(recorded.firstMatch(of: /"start":(\d+)/)?.1)
            let boot = try #require(recorded.firstMatch(of: /"boot":"([0-9a-f-]+)"/)?.1)
            for (changed, state) in [(recorded, "running"), (recorded.replacingOccurrences(of: "\"start\":\(start)", with: "\"start\":\(start)1"), "interrupted"),
                                     (recorded.replacingOccurrences(of: String(boot), with: "another-boot"), "interrupted"),
                                     (recorded.replacing(/,?"process":\{[^}]*\}/, with: ""), "running")] {
                try changed.write(to: directory.appendingPathComponent("status.json"), atomically: true, encoding: .utf8)
                #expect(run.status?.state == state, "\(changed)")
            }
        }
        #expect(run.status?.state == "finished")
    }

    /// A run whose process has exited but not yet been waited for (a zombie, which still holds
    /// its number) was interrupted.
    @Test func aRunWhoseProcessExitedIsInterrupted() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-status-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var pid: pid_t = 0
        let program = strdup("true")
        defer { free(program) }
        let arguments: [UnsafeMutablePointer<CChar>?] = [program, nil]
        try #require(posix_spawnp(&pid, "true", nil, nil, arguments, environ) == 0)
        defer { var status: Int32 = 0; waitpid(pid, &status, 0) }
        let run = RunDirectory(directory)
        run.write(RunDirectory.Status(state: "running", pid: pid, host: ProcessInfo.processInfo.hostName, started: Date()))
        let deadline = Date(timeIntervalSinceNow: 10)
        while run.status?.state == "running" && Date() < deadline { usleep(10_000) }
        #expect(run.status?.state == "interrupted")
        #expect(kill(pid, 0) == 0, "the exited child is still a zombie holding its number")
    }

    /// `kill -9 PID; tessera launch --resume RUN`: the resume waits the moment the killed process
    /// takes to go, and a live one's run still reads as running once the wait is over.
    @Test func aResumeWaitsForAProcessThatIsGoing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-status-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = RunDirectory(directory)
        let host = ProcessInfo.processInfo.hostName
        var pid: pid_t = 0
        let (program, time) = (strdup("sleep"), strdup("0.3"))
        defer { free(program); free(time) }
        let arguments: [UnsafeMutablePointer<CChar>?] = [program, time, nil]
        try #require(posix_spawnp(&pid, "sleep", nil, nil, arguments, environ) == 0)
        defer { var status: Int32 = 0; waitpid(pid, &status, 0) }
        run.write(RunDirectory.Status(state: "running", pid: pid, host: host, started: Date()))
        let start = Date()
        #expect(run.waitingForItsProcess(seconds: 20)?.state == "interrupted")
        #expect(Date().timeIntervalSince(start) < 10)
        run.write(RunDirectory.Status(state: "running", pid: getpid(), host: host, started: Date()))
        #expect(run.waitingForItsProcess(seconds: 0.2)?.state == "running")
    }
}
