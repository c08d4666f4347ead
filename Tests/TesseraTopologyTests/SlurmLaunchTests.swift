import Foundation
import Testing
import TesseraTestSupport
@testable import TesseraTopology

/// `workers.launch: slurm` for real: a one-node Slurm cluster of the test's own (brought up by
/// scripts/slurm_cluster.sh from Debian's packages, without systemd, and stopped after; an
/// already running cluster is used as it is), the smoke topology run through it as one job.
@Suite("tessera launch on Slurm", .serialized)
struct SlurmLaunchTests {
    static let tools = ["/usr/bin/sbatch", "/usr/bin/srun", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged"]
    /// The daemons need root (they run as root here, munged as munge); CI runs as root.
    static let available = getuid() == 0 && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: available, "needs root and Slurm (apt-get install -y slurmctld slurmd slurm-client munge)"))
    func theSmokeTopologyRunsAsOneJobWithTheLocalRunsAccuracy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-slurm-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let started = try ClusterUnderTest()
        defer { started.stop() }

        let launch = try ProcessHarness(["launch", "Topologies/smoke-slurm.yaml", "--set", "runs=\(directory.path)/runs"])
        let done = try launch.waitForLine(containing: "done:", timeout: 180)
        #expect(done.contains("total wall time"))
        #expect(launch.stop(timeout: 20) == 0)
        #expect(launch.outputLines.contains { $0.contains("submitted Slurm job") } && launch.outputLines.contains { $0.hasPrefix("round 2:") })
        let run = directory.appendingPathComponent("runs/smoke-slurm/latest")
        let local = try ProcessHarness(["launch", "smoke", "--set", "runs=\(directory.path)/local"])
        _ = try local.waitForLine(containing: "done:", timeout: 120)
        func accuracies(_ run: URL) throws -> [Double] {
            try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .compactMap { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["accuracy"] as? Double }
        }
        let slurm = try accuracies(run), plain = try accuracies(directory.appendingPathComponent("local/smoke/latest"))
        #expect(slurm.count == 2 && slurm == plain, "Slurm \(slurm), local \(plain)")
        // Each process traced into the shared run directory; the trace tools and the report read it.
        let summary = try ProcessHarness(["trace", "summary", run.path])
        #expect(summary.waitForExit(timeout: 60) == 0)
        #expect(summary.outputLines.contains { $0.contains("4 processes") }, "\(summary.outputLines.prefix(2))")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("report.html").path))
        // The workers used their keys: the scheduler listened beyond loopback, with keys.
        #expect(try String(contentsOf: run.appendingPathComponent("job.sh"), encoding: .utf8).contains("--keys"))
    }

    @Test(.enabled(if: available, "needs root and Slurm (apt-get install -y slurmctld slurmd slurm-client munge)"))
    func aPartitionThatDoesNotExistIsSlurmsOwnSentence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-slurm-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let started = try ClusterUnderTest()
        defer { started.stop() }
        let launch = try ProcessHarness(["launch", "Topologies/smoke-slurm.yaml", "--set", "runs=\(directory.path)/runs",
                                         "--set", "slurm.partition=nowhere"], includingErrors: true)
        #expect(launch.waitForExit(timeout: 60) == 1)
        #expect(launch.outputLines.contains { $0.contains("sbatch refused the job") && $0.contains("partition") }, "\(launch.outputLines)")
    }

    /// The batch script says what the topology asks, and runs on any machine (no Slurm needed).
    @Test func theEmittedScriptAsksForWhatTheTopologySays() throws {
        var topology = try TopologyParser.load(URL(fileURLWithPath: "Topologies/smoke-slurm.yaml"))
        topology.slurm.partition = "gpu"
        topology.slurm.nodes = 2
        topology.slurm.options = ["--account=ml"]
        topology.simulation = try ["0-1: slowdown=5", "2: latency=0.05 bandwidth=20"].map { try SimulationGroup.parse($0).get() }
        let script = SlurmJob(topology: topology, runDirectory: URL(fileURLWithPath: "/shared/runs/x"), executable: "/opt/tessera", keys: "/shared/runs/x/keys").script
        for line in ["#SBATCH --ntasks=4", "#SBATCH --partition=gpu", "#SBATCH --nodes=2", "#SBATCH --account=ml", "#SBATCH --time=00:10:00",
                     "--output=/shared/runs/x/logs/job.out", "'--set' 'training.rounds=2'", "'--keys' '/shared/runs/x/keys'", "tcp://*:0",
                     "case $SLURM_PROCID in 0|1) simulated=(--slowdown 5.0);; 2) simulated=(--bandwidth 20.0 --latency 0.05);; esac"] {
            #expect(script.contains(line), "no \(line)")
        }
        #expect(throws: TopologyError.self) { try SlurmQueue.run("sbatch-not-installed", []) }
    }
}

/// A Slurm cluster for a test: the one running already, or one started by
/// scripts/slurm_cluster.sh (and stopped by ``stop()``). Through ``ChildProcess``: Foundation's
/// `Process` can miss the exit of a script whose daemons run on.
struct ClusterUnderTest {
    let startedHere: Bool

    init() throws {
        if try ChildProcess.wait(ChildProcess.start("/usr/bin/scontrol", ["ping"])) == 0 {
            startedHere = false
            return
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-slurm-start-\(UUID()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        guard try ChildProcess.wait(ChildProcess.start("/bin/bash", ["scripts/slurm_cluster.sh", "start"], errorLog: log.path)) == 0 else {
            throw HarnessError(description: "the Slurm cluster did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        startedHere = true
    }

    /// Stops the daemons if this test started them.
    func stop() {
        guard startedHere, let pid = try? ChildProcess.start("/bin/bash", ["scripts/slurm_cluster.sh", "stop"]) else { return }
        _ = ChildProcess.wait(pid)
    }
}
