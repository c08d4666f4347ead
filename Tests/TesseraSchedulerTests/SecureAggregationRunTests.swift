import Foundation
import TesseraNN
import TesseraSecureAggregation
import TesseraTensor
import TesseraTestSupport
import TesseraTransport
import TesseraWire
import Testing

/// Secure aggregation with real processes: a secure run ends with the model a run in the clear
/// makes (training is seeded, the sum exact within the fixed point), a worker that vanishes
/// after sending its masked input costs the round only its silence, and the scheduler's trace
/// shows every extra step with its bytes.
@Suite("Secure aggregation runs", .serialized)
struct SecureAggregationRunTests {
    /// Runs `workers` real workers (and one `played` by the test, when given) for `rounds` rounds
    /// of mnist-2nn and returns the run directory.
    func run(workers: Int, rounds: Int = 2, extra: [String], played: ((String) throws -> Void)? = nil) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-secure-\(UUID())")
        let total = workers + (played == nil ? 0 : 1)
        let (scheduler, endpoint) = try startScheduler(["--workers", String(total), "--rounds", String(rounds), "--model", "mnist-2nn",
                                                        "--data", "synthetic", "--run-dir", directory.path] + extra)
        let processes = try (0..<workers).map { index in
            try ProcessHarness(["worker", "--connect", endpoint, "--id", "w\(index)", "--data", "synthetic",
                                "--trace-dir", directory.appendingPathComponent("traces").path])
        }
        defer { for process in processes { _ = process.stop(timeout: 10) } }
        try played?(endpoint)
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        return directory
    }

    func metrics(_ directory: URL) throws -> [[String: Any]] {
        try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Also DP-FedAvg's clipped, unweighted sum (without noise, so that the models compare):
    /// the workers clip instead of the scheduler.
    @Test("a secure run makes the model a run in the clear makes", arguments: [[], ["--clip", "0.5"]])
    func aSecureRunMakesTheModelARunInTheClearMakes(settings: [String]) throws {
        // One round: the models then differ by the fixed point's rounding, which the next
        // round's training may amplify.
        let plain = try run(workers: 3, rounds: 1, extra: settings)
        let secure = try run(workers: 3, rounds: 1, extra: ["--secure-aggregation"] + settings)
        defer { for directory in [plain, secure] { try? FileManager.default.removeItem(at: directory) } }
        let (a, b) = (try Checkpoint(contentsOf: plain.appendingPathComponent("checkpoint.safetensors")).parameters,
                      try Checkpoint(contentsOf: secure.appendingPathComponent("checkpoint.safetensors")).parameters)
        let difference = zip(a.flattened(), b.flattened()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(a.scalarCount == b.scalarCount && difference < 1e-6, "largest difference \(difference)")
        let rounds = try metrics(secure)
        #expect(rounds.count == 1 && rounds.allSatisfy { ($0["secure"] as? [String: Any])?["masked"] as? Int == 3 && $0["received"] as? Int == 3 })

        // The scheduler's trace has each step, and the masked inputs' 8 bytes a parameter.
        let trace = try String(contentsOf: secure.appendingPathComponent("traces/scheduler.trace.jsonl"), encoding: .utf8)
        for step in ["secagg keys", "secagg roster", "secagg shares", "secagg relayed shares", "secagg masked input", "secagg survivors",
                     "secagg unmasking"] {
            #expect(trace.contains("\"m\":\"\(step)\""), "no \(step) in the scheduler's trace")
        }
        #expect(!trace.contains("\"m\":\"update\""), "an update went in the clear")
        let summary = try ProcessHarness(["trace", "summary", secure.path, "--json"])
        #expect(summary.waitForExit(timeout: 60) == 0)
        let masked = summary.outputLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["type"] as? String == "secagg masked input" }
        let bytes = try #require(masked?["bytes"] as? Int)
        #expect(bytes >= 3 * 8 * a.scalarCount, "3 masked inputs of \(a.scalarCount) parameters: \(bytes) bytes")
    }

    /// A fourth worker played by the test takes part up to its masked input, then goes silent:
    /// after the heartbeat timeout the others' shares unmask the sum, its input in it.
    @Test func aWorkerThatVanishesAfterMaskingDoesNotStopTheRound() throws {
        let directory = try run(workers: 3, rounds: 1, extra: ["--secure-aggregation", "--heartbeat-timeout", "3"]) { endpoint in
            try Self.maskThenVanish(endpoint)
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let round = try #require(try metrics(directory).first)
        let secure = try #require(round["secure"] as? [String: Any])
        #expect(round["aggregated"] as? Bool == true && round["received"] as? Int == 4)
        #expect(secure["masked"] as? Int == 4 && secure["unmasked"] as? Int == 3 && secure["threshold"] as? Int == 3)
        #expect((round["accuracy"] as? Double ?? 0) > 0.5)
    }

    /// Joins as "vanishing", answers its train task with keys, shares them, sends its masked
    /// input (the global model with one sample), and stops answering.
    static func maskThenVanish(_ endpoint: String) throws {
        let socket = try Transport.zeroMQ.connect(endpoint, identity: "vanishing")
        defer { socket.close() }
        var nextID: UInt64 = 1
        var lastSent = Date()
        func send(_ message: Message, replyTo: UInt64) throws {
            nextID += 1
            lastSent = Date()
            try socket.send(Envelope(id: nextID, replyTo: replyTo, message: message))
        }
        try send(.register(workerID: "vanishing", sampleCount: 0, labelHistogram: []), replyTo: 0)
        var client: SecureAggregationClient?
        var input: [UInt64] = []
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            // Heartbeats as a worker's, until it vanishes.
            if Date().timeIntervalSince(lastSent) > 0.5 { try send(.heartbeat, replyTo: 0) }
            guard let received = try socket.receive(timeout: 0.2), case let .success(envelope) = received.envelope else { continue }
            switch envelope.message {
            case .welcome:
                try send(.done(objectCount: 0, byteCount: 0), replyTo: envelope.id)
            case let .trainTask(task):
                let threshold = try JSONDecoder().decode(Hyperparameters.self, from: Data(task.hyperparameters.utf8)).secureThreshold
                client = SecureAggregationClient(id: "vanishing", round: task.round, threshold: threshold)
                input = try FixedPoint.updates.encode(task.weights.flatMap(\.tensor.scalars))
                try send(.secureAggregation(SecureAggregationStep(round: task.round, kind: .keys,
                                                                  body: try json(client?.advertise()))), replyTo: envelope.id)
            case let .secureAggregation(step) where step.kind == .roster:
                let shares = try client?.shareKeys(roster: JSONDecoder().decode([KeyAdvertisement].self, from: Data(step.body.utf8)))
                try send(.secureAggregation(SecureAggregationStep(round: step.round, kind: .shares, body: try json(shares))), replyTo: envelope.id)
            case let .secureAggregation(step) where step.kind == .relayedShares:
                try client?.receive(JSONDecoder().decode([EncryptedShare].self, from: Data(step.body.utf8)))
                let masked = try client?.mask(input) ?? []
                try send(.secureAggregation(SecureAggregationStep(round: step.round, kind: .maskedInput,
                                                                  body: try json(MaskedInputNote(weight: 1, maskedWith: nil)), vector: masked)),
                         replyTo: envelope.id)
                return   // gone: no unmasking, no heartbeat
            default:
                continue
            }
        }
        throw HarnessError(description: "the scheduler never asked for a masked input")
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
