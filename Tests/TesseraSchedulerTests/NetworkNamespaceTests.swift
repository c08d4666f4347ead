import Foundation
import Testing
import TesseraTestSupport

/// Several hosts for real: network namespaces joined by veth pairs, the scheduler in one and a
/// worker in each of two others, talking over their own addresses.
@Suite("Workers on other hosts (network namespaces)", .serialized)
struct NetworkNamespaceTests {
    /// Runs a command, returning its exit status (and output, for errors).
    @discardableResult
    static func sh(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        guard (try? process.run()) != nil else { return (-1, "cannot run \(arguments)") }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = "tessera-probe-\(getpid())"
        defer { sh(["ip", "netns", "del", probe]) }
        return sh(["ip", "netns", "add", probe]).0 == 0
    }()

    @Test(.enabled(if: available, "needs root and iproute2 network namespaces (CI runs as root)"))
    func aRoundAcrossThreeHosts() throws {
        let tag = String(getpid() % 100_000)
        let (hub, a, b) = ("tsch\(tag)", "tsa\(tag)", "tsb\(tag)")
        defer { for ns in [hub, a, b] { Self.sh(["ip", "netns", "del", ns]) } }
        // hub 10.77.1.1 <-> a 10.77.1.2 ; hub 10.77.2.1 <-> b 10.77.2.2
        let setup: [[String]] = [
            ["ip", "netns", "add", hub], ["ip", "netns", "add", a], ["ip", "netns", "add", b],
            ["ip", "link", "add", "h\(tag)a", "type", "veth", "peer", "name", "a\(tag)h"],
            ["ip", "link", "add", "h\(tag)b", "type", "veth", "peer", "name", "b\(tag)h"],
            ["ip", "link", "set", "h\(tag)a", "netns", hub], ["ip", "link", "set", "a\(tag)h", "netns", a],
            ["ip", "link", "set", "h\(tag)b", "netns", hub], ["ip", "link", "set", "b\(tag)h", "netns", b],
            ["ip", "-n", hub, "addr", "add", "10.77.1.1/24", "dev", "h\(tag)a"],
            ["ip", "-n", hub, "addr", "add", "10.77.2.1/24", "dev", "h\(tag)b"],
            ["ip", "-n", a, "addr", "add", "10.77.1.2/24", "dev", "a\(tag)h"],
            ["ip", "-n", b, "addr", "add", "10.77.2.2/24", "dev", "b\(tag)h"],
        ] + [hub, a, b].map { ["ip", "-n", $0, "link", "set", "lo", "up"] }
            + [("h\(tag)a", hub), ("h\(tag)b", hub), ("a\(tag)h", a), ("b\(tag)h", b)].map { ["ip", "-n", $1, "link", "set", $0, "up"] }
        for command in setup {
            let (status, output) = Self.sh(command)
            try #require(status == 0, "\(command.joined(separator: " ")): \(output)")
        }

        let run = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-netns-\(UUID())")
        defer { try? FileManager.default.removeItem(at: run) }
        // Across hosts the run is secured: CURVE keys for the scheduler and each worker.
        let keys = run.appendingPathComponent("keys").path
        let generate = try ProcessHarness(["keys", "generate", "scheduler", "host-\(a)", "host-\(b)", "--dir", keys])
        #expect(generate.waitForExit(timeout: 30) == 0)
        let scheduler = try ProcessHarness(["scheduler", "--bind", "tcp://0.0.0.0:5599", "--workers", "2", "--rounds", "1",
                                            "--model", "logreg", "--data", "synthetic", "--run-dir", run.path, "--keys", keys],
                                           wrapper: ["/usr/sbin/ip", "netns", "exec", hub])
        _ = try scheduler.waitForLine(containing: "listening on")
        let workers = try [(a, "10.77.1.1"), (b, "10.77.2.1")].map { namespace, address in
            try ProcessHarness(["worker", "--connect", "tcp://\(address):5599", "--id", "host-\(namespace)", "--keys", keys,
                                "--trace-dir", run.appendingPathComponent("traces").path],
                               wrapper: ["/usr/sbin/ip", "netns", "exec", namespace])
        }
        // A worker with no keys, from a third address of one host, is not admitted.
        let outsider = try ProcessHarness(["worker", "--connect", "tcp://10.77.1.1:5599", "--id", "outsider", "--no-trace"],
                                          wrapper: ["/usr/sbin/ip", "netns", "exec", a])
        let final = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(final.contains("after 1 rounds"))
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"received\":2"))
        #expect(metrics.contains("\"contributors\":[\"host-\(a)\",\"host-\(b)\"]"), "\(metrics)")
        for worker in workers { #expect(worker.stop(timeout: 10) == 0) }
        _ = outsider.stop(timeout: 10)

        // The traces of the three hosts merge: each worker knew the scheduler by another
        // address, and both are resolved to it; every task and update is joined, and each
        // host's clock is aligned within a bound.
        let summary = try ProcessHarness(["trace", "summary", run.path, "--json"])
        #expect(summary.waitForExit(timeout: 60) == 0)
        let rows = summary.outputLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let round = rows.first { $0["table"] as? String == "round" }
        #expect(round?["sampled"] as? Int == 2 && round?["answered"] as? Int == 2, "\(rows)")
        let processes = rows.filter { $0["table"] as? String == "process" }
        #expect(Set(processes.compactMap { $0["process"] as? String }) == ["host-\(a)", "host-\(b)"])
        #expect(processes.allSatisfy { abs($0["clock_error"] as? Double ?? 1) < 0.05 && $0["updates"] as? Int == 1 }, "\(processes)")
        let tasks = rows.first { $0["table"] as? String == "message" && $0["type"] as? String == "train task" }
        #expect(tasks?["count"] as? Int == 2 && tasks?["undelivered"] as? Int == 0 && tasks?["transit_p50"] is Double, "\(String(describing: tasks))")
    }
}
