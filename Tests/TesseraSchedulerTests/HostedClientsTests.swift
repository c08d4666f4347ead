import Foundation
import TesseraTestSupport
import Testing

/// `tessera worker --clients N`: one process hosting many federated clients over one
/// connection, each registering, welcomed with its own share, training and answering as a client
/// of its own; a host killed mid-run loses its clients together, the run goes on, and the host
/// started again brings them back.
@Suite("Many clients in one process", .serialized)
struct HostedClientsTests {
    static func rounds(in run: URL) -> [[String: Any]] {
        ((try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func contributors(_ round: [String: Any]) -> [String] { round["contributors"] as? [String] ?? [] }

    @Test func oneProcessHostsAFederationOfClients() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-hosted-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "12", "--rounds", "3", "--model", "logreg", "--data", "synthetic",
                                                        "--partition", "dirichlet", "--alpha", "0.5", "--fraction", "0.5",
                                                        "--run-dir", directory.path])
        defer { _ = scheduler.stop() }
        let host = try ProcessHarness(["worker", "--connect", endpoint, "--id", "host", "--clients", "12", "--no-trace"], includingErrors: true)
        defer { _ = host.stop() }
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(host.waitForExit(timeout: 30) == 0, "\(host.outputLines.suffix(20))")
        let rounds = Self.rounds(in: directory)
        #expect(rounds.count == 3)
        let ids = (0..<12).map { String(format: "host/%02d", $0) }
        for round in rounds {
            // Half of the twelve each round, each a client of its own.
            let who = Self.contributors(round)
            #expect(who.count == 6 && Set(who).count == 6 && Set(who).isSubset(of: ids), "\(round)")
        }
        #expect(Set(rounds.flatMap(Self.contributors)).count > 6, "\(rounds)")
        #expect((rounds.last?["accuracy"] as? Double ?? 0) > 0.5, "\(rounds)")
        // The roster, written apart from the rounds' records, is complete when the run ends.
        let roster = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("clients.json"))) as? [String: Any]
        let listed = (roster?["clients"] as? [[String: Any]] ?? []).compactMap { $0["worker"] as? String }
        #expect(listed.sorted() == ids, "\(listed)")
    }

    /// More clients than a process lets register at a time (``RegistrationWindow``): the rest
    /// wait their turn, and every one registers, joins and can be sampled.
    @Test func moreClientsThanTheRegistrationWindowAllJoin() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-hosted-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "2500", "--rounds", "2", "--model", "logreg", "--data", "synthetic",
                                                        "--fraction", "0.004", "--run-dir", directory.path])
        defer { _ = scheduler.stop() }
        let host = try ProcessHarness(["worker", "--connect", endpoint, "--id", "many", "--clients", "2500", "--no-trace"], includingErrors: true)
        defer { _ = host.stop() }
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(scheduler.outputLines.contains { $0.contains("2500 of 2500 workers registered") }, "\(scheduler.outputLines.prefix(20))")
        // Joining (each client loading its share) is said as it goes too.
        #expect(scheduler.outputLines.contains { $0.contains("1250 of 2500 workers joined in") }, "\(scheduler.outputLines.prefix(30))")
        #expect(scheduler.outputLines.contains { $0.contains("2500 of 2500 workers joined in") }, "\(scheduler.outputLines.prefix(30))")
        let rounds = Self.rounds(in: directory)
        #expect(rounds.count == 2 && rounds.allSatisfy { Self.contributors($0).count == 10 }, "\(rounds)")
    }

    @Test func aHostKilledMidRunLosesItsClientsTogetherAndBringsThemBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-hosted-kill-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (scheduler, endpoint) = try startScheduler(["--workers", "8", "--rounds", "80", "--model", "logreg", "--data", "synthetic",
                                                        "--quorum", "4", "--heartbeat-timeout", "3", "--deadline", "30",
                                                        "--run-dir", directory.path])
        defer { _ = scheduler.stop() }
        func host(_ name: String) throws -> ProcessHarness {
            try ProcessHarness(["worker", "--connect", endpoint, "--id", name, "--clients", "4", "--slow", "0.1", "--no-trace"],
                               includingErrors: true)
        }
        var a = try host("a")
        let b = try host("b")
        defer { _ = a.stop(); _ = b.stop() }
        _ = try scheduler.waitForLine(containing: "round 3:", timeout: 120)
        #expect(a.stop(signal: SIGKILL) != nil)
        let killedAfter = Self.rounds(in: directory).count
        // Rounds go on with b's four clients alone.
        var deadline = Date().addingTimeInterval(60)
        while !Self.rounds(in: directory).dropFirst(killedAfter).contains(where: { Self.contributors($0).allSatisfy { $0.hasPrefix("b/") } })
                && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let alone = Self.rounds(in: directory).dropFirst(killedAfter).first { Self.contributors($0).allSatisfy { $0.hasPrefix("b/") } }
        #expect(alone.map(Self.contributors)?.count == 4, "\(Self.rounds(in: directory).suffix(5))")
        // a again: its clients register again and are welcomed back.
        let restartedAfter = Self.rounds(in: directory).count
        a = try host("a")
        deadline = Date().addingTimeInterval(60)
        while !Self.rounds(in: directory).dropFirst(restartedAfter).contains(where: { Self.contributors($0).count == 8 }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(Self.rounds(in: directory).dropFirst(restartedAfter).contains { Self.contributors($0).count == 8 },
                "\(Self.rounds(in: directory).suffix(5))")
    }

    @Test func badUsesOfClientsAreOneLine() throws {
        for (arguments, expected) in [(["--clients", "0"], "--clients must be 1 to 1000000, not 0"),
                                      (["--clients", "3", "--bind", "tcp://127.0.0.1:0"], "--clients needs --connect"),
                                      (["--clients", "3", "--data", "synthetic"], "--clients takes no --data")] {
            let connect = arguments.contains("--bind") ? [] : ["--connect", "tcp://127.0.0.1:9"]
            let worker = try ProcessHarness(["worker", "--id", "h"] + connect + arguments, includingErrors: true)
            #expect(worker.waitForExit(timeout: 30) != 0)
            #expect(worker.outputLines.contains { $0.contains(expected) }, "\(worker.outputLines)")
        }
    }
}
