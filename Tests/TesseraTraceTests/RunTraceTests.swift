import Foundation
import Testing
import TesseraTrace

/// Merging traces: peers resolved, sends joined to receives, clocks aligned.
@Suite("Merging traces")
struct RunTraceTests {
    /// The wall time every synthetic file's header starts at.
    static let origin = 1_796_000_000.0

    /// A trace file's header, as ``TraceWriter`` writes it: by default each process on a host of
    /// its own (clocks of their own, which the merge estimates).
    static func header(_ process: String, host: String? = nil, wall: Double = origin) -> String {
        #"{"trace":2,"process":"\#(process)","pid":1,"host":"\#(host ?? process)","wall":\#(wall),"mono_ns":1000000000000}"#
    }

    /// A message line at `wall` (seconds since 1970 on the writing process's clock).
    static func message(_ process: String, at wall: Double, peer: String, _ direction: String, _ type: String,
                        id: Int, replyTo: Int = 0, round: Int) -> String {
        #"{"t":\#(Int(((wall - origin) * 1e6).rounded())),"d":"\#(direction == "send" ? "s" : "r")","p":"\#(peer)","m":"\#(type)","id":\#(id),"re":\#(replyTo),"r":\#(round),"b":1000}"#
    }

    /// A scheduler and two workers whose clocks are `offsets` seconds ahead of it: rounds of a
    /// train task (1-3 ms each way) and an update 50 ms later; `restarted` workers start
    /// their message ids over from round 4 on, as a restarted process does.
    static func files(offsets: [String: Double], rounds: Int = 6, restarted: Set<String> = []) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-merge-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lines: [String: [String]] = ["scheduler": []]
        var generator = SystemRandomNumberGenerator()
        var time = 1_796_000_000.0
        for round in 1...rounds {
            for worker in offsets.keys.sorted() {
                let offset = offsets[worker] ?? 0
                let (down, up) = (Double.random(in: 0.001...0.003, using: &generator), Double.random(in: 0.001...0.003, using: &generator))
                let task = 10 * round, update = restarted.contains(worker) && round >= 4 ? round - 3 : round
                lines["scheduler", default: []].append(message("scheduler", at: time, peer: worker, "send", "train task", id: task, round: round))
                lines[worker, default: []].append(message(worker, at: time + down + offset, peer: "tcp://127.0.0.1:5555", "recv", "train task", id: task, round: round))
                lines[worker, default: []].append(message(worker, at: time + 0.05 + offset, peer: "tcp://127.0.0.1:5555", "send", "update",
                                                          id: update, replyTo: task, round: round))
                lines["scheduler", default: []].append(message("scheduler", at: time + 0.05 + up, peer: worker, "recv", "update",
                                                               id: update, replyTo: task, round: round))
                time += 0.2
            }
        }
        for (process, events) in lines {
            try (([header(process)] + events).joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("\(process).trace.jsonl"), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("clocks two seconds apart are aligned within their bound", arguments: [2.0, -2.0])
    func clocksAreAligned(offset: Double) throws {
        let directory = try Self.files(offsets: ["alice": offset, "bob": -offset / 2])
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = try RunTrace(directory: directory)
        #expect(trace.reference == "scheduler" && trace.processes == ["scheduler", "alice", "bob"])
        for (name, truth) in [("alice", offset), ("bob", -offset / 2)] {
            let estimate = try #require(trace.offsets[name])
            let error = try #require(estimate.error)
            #expect(abs(estimate.seconds - truth) <= error + 1e-6, "\(name): \(estimate.seconds) ± \(error), truly \(truth)")
            #expect(error < 0.003, "\(name): bound \(error)")
        }
        // The worker knew the scheduler by its address; every message is joined, and on the
        // aligned clock none arrives before it was sent.
        #expect(Set(trace.messages.map(\.sender)) == ["scheduler", "alice", "bob"])
        #expect(trace.messages.count == 24)
        for message in trace.messages {
            let transit = try #require(message.transit)
            #expect(transit > -0.003 && transit < 0.006, "\(message)")
        }
    }

    /// Processes of one host share its monotonic clock: they are read on the reference's anchor,
    /// exactly (no estimate from delays, which was off by their asymmetry and made messages
    /// arrive before they left), however their own wall anchors differ.
    @Test func processesOfOneHostNeedNoEstimatedOffset() throws {
        let directory = try Self.files(offsets: ["alice": 0, "bob": 0])
        defer { try? FileManager.default.removeItem(at: directory) }
        for (process, anchor) in [("scheduler", Self.origin), ("alice", Self.origin + 0.004), ("bob", Self.origin - 0.002)] {
            // The same monotonic reading, wall clocks read a few milliseconds apart.
            let file = directory.appendingPathComponent("\(process).trace.jsonl")
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
            try (([Self.header(process, host: "one", wall: anchor)] + lines).joined(separator: "\n") + "\n")
                .write(to: file, atomically: true, encoding: .utf8)
        }
        let trace = try RunTrace(directory: directory)
        let alice = try #require(trace.offsets["alice"])
        #expect(alice.seconds == 0 && alice.error == 0 && alice.messages == 12 && alice.via == "same host", "\(alice)")
        // Transits were drawn in [1, 3] ms and written in whole microseconds: within one of that.
        #expect(trace.messages.count == 24 && trace.messages.allSatisfy { ($0.transit ?? -1) >= 0.000_999 && ($0.transit ?? 1) <= 0.003_001 },
                "\(trace.messages.map(\.transit))")
    }

    @Test func aRestartedProcessesRepeatedIDsAreJoinedByTime() throws {
        let directory = try Self.files(offsets: ["alice": 0.5, "bob": 0], restarted: ["alice"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = try RunTrace(directory: directory)
        let updates = trace.messages.filter { $0.sender == "alice" && $0.type == "update" }
        #expect(updates.count == 6)
        #expect(updates.allSatisfy { ($0.transit ?? -1) > -0.003 && ($0.transit ?? 1) < 0.006 }, "\(updates.map(\.transit))")
        // Each update answers its own round's task.
        #expect(updates.map(\.round) == [1, 2, 3, 4, 5, 6] && updates.map(\.replyTo) == [10, 20, 30, 40, 50, 60])
    }

    @Test func aMessageWhoseReceiverDiedIsUndelivered() throws {
        let directory = try Self.files(offsets: ["alice": 0, "bob": 0], rounds: 2)
        defer { try? FileManager.default.removeItem(at: directory) }
        // bob's trace (its header and round 1) ends before round 2: killed.
        let bob = directory.appendingPathComponent("bob.trace.jsonl")
        let lines = try String(contentsOf: bob, encoding: .utf8).split(separator: "\n")
        try (lines.prefix(3).joined(separator: "\n") + "\n").write(to: bob, atomically: true, encoding: .utf8)
        // So its round 2 update never reached the scheduler (the scheduler's last line).
        let scheduler = directory.appendingPathComponent("scheduler.trace.jsonl")
        let received = try String(contentsOf: scheduler, encoding: .utf8).split(separator: "\n")
        // The scheduler's record of being told that bob's process exited.
        let exited = #"{"t":2000000,"s":2000000,"n":"process exited","p":"bob","x":"during round 2: its worker is lost"}"#
        try ((received.dropLast() + [Substring(exited)]).joined(separator: "\n") + "\n").write(to: scheduler, atomically: true, encoding: .utf8)
        let trace = try RunTrace(directory: directory)
        let lost = trace.messages.filter { $0.received == nil }
        #expect(lost.map { "\($0.sender)→\($0.receiver) \($0.type)" } == ["scheduler→bob train task"])
        let summary = TraceSummary(trace)
        #expect(summary.messageTypes.first { $0.type == "train task" }?.undelivered == 1)
        #expect(summary.rounds.map(\.lost) == [0, 1] && summary.rounds.map(\.answered) == [2, 1])
        #expect(summary.processes.map { "\($0.name) \($0.lost)" } == ["alice 0", "bob 1"], "\(summary.processes.map(\.name))")
    }
}
