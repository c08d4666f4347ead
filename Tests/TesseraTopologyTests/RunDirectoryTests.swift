import Foundation
import Testing
import TesseraTestSupport
import TesseraTopology

/// What a run directory records when the disk is full.
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
}
