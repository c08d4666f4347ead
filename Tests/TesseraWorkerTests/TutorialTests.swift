import Foundation
import TesseraTestSupport
import Testing
import TesseraExamples
import TesseraTensor
import TesseraWorker

/// Each tutorial runs against real worker processes and its results match local computation.
@Suite("PySyft tutorial counterparts", .serialized)
struct TutorialTests {
    /// Starts `names.count` workers and returns their clients (and the processes, to stop).
    static func workers(_ names: [String]) throws -> ([ProcessHarness], [RemoteWorker]) {
        var processes: [ProcessHarness] = [], clients: [RemoteWorker] = []
        for name in names {
            let (process, endpoint) = try startWorker(id: name)
            processes.append(process)
            clients.append(try RemoteWorker(name: name, endpoint: endpoint, timeout: 30))
        }
        return (processes, clients)
    }

    @Test func part1PointersSendAndGet() async throws {
        let (processes, workers) = try Self.workers(["bob"])
        #expect(try await Tutorial.part1(bob: workers[0]).scalars == [2, 3, 4, 5, 6])
        for process in processes { #expect(process.stop() == 0) }
    }

    @Test func part2TrainsWhereTheDataLives() async throws {
        let (processes, workers) = try Self.workers(["bob", "alice"])
        let weights = try await Tutorial.part2(bob: workers[0], alice: workers[1], steps: 60)
        // y = 2·x0 − x1 + 1
        #expect(abs(weights[0] - 2) < 0.15 && abs(weights[1] + 1) < 0.15 && abs(weights[2] - 1) < 0.15, "\(weights)")
        for process in processes { #expect(process.stop() == 0) }
    }

    @Test func part3MovesBetweenWorkers() async throws {
        let (processes, workers) = try Self.workers(["bob", "alice"])
        let local = try Tensor([2, 4, 6, 8], shape: [2, 2])
        #expect(try await Tutorial.part3(bob: workers[0], alice: workers[1]) == (try local.matmul(local)))
        for process in processes { #expect(process.stop() == 0) }
    }

    /// The models are trained on the workers and averaged at the aggregator; the client gets
    /// the average and nothing else: in the workers' traces, only the aggregator ever sent a
    /// tensor back (a get's reply), once.
    @Test func part4AveragesAtATrustedAggregator() async throws {
        let names = ["bob-\(UUID().uuidString.prefix(6))", "alice-\(UUID().uuidString.prefix(6))", "secure-\(UUID().uuidString.prefix(6))"]
        let (processes, workers) = try Self.workers(names)
        let average = try await Tutorial.part4(bob: workers[0], alice: workers[1], aggregator: workers[2])
        // Bob's model tends to 1, Alice's to 3: 20 steps of w -= 0.25 · 2(w - t) from 0.
        let expected = (1 - Foundation.pow(0.5 as Double, 20)) * (1 + 3) / 2
        #expect(average.scalars.allSatisfy { abs(Double($0) - expected) < 1e-5 }, "\(average.scalars)")
        for process in processes { #expect(process.stop() == 0) }
        func tensorsSent(by name: String) throws -> Int {
            try String(contentsOf: temporaryTraceDirectory.appendingPathComponent("\(name).trace.jsonl"), encoding: .utf8)
                .split(separator: "\n").filter { $0.contains("\"d\":\"s\"") && $0.contains("\"m\":\"tensor\"") }.count
        }
        #expect(try tensorsSent(by: names[0]) == 0 && tensorsSent(by: names[1]) == 0, "a worker's model reached the client")
        #expect(try tensorsSent(by: names[2]) == 1)
    }

    /// The models are trained on the workers and secret-shared between them; the client gets
    /// the sum's shares and random shares only: no worker ever sent a float tensor back.
    @Test func part10AggregatesEncryptedModels() async throws {
        let names = ["bob-\(UUID().uuidString.prefix(6))", "alice-\(UUID().uuidString.prefix(6))", "provider-\(UUID().uuidString.prefix(6))"]
        let (processes, workers) = try Self.workers(names)
        let average = try await Tutorial.part10(bob: workers[0], alice: workers[1], cryptoProvider: workers[2])
        let expected = (1 - Foundation.pow(0.5 as Double, 20)) * (1 + 3) / 2
        #expect(average.scalars.allSatisfy { abs(Double($0) - expected) < 1e-4 }, "\(average.scalars)")
        for process in processes { #expect(process.stop() == 0) }
        func sent(_ type: String, by name: String) throws -> Int {
            try String(contentsOf: temporaryTraceDirectory.appendingPathComponent("\(name).trace.jsonl"), encoding: .utf8)
                .split(separator: "\n").filter { $0.contains("\"d\":\"s\"") && $0.contains("\"m\":\"\(type)\"") }.count
        }
        #expect(try sent("tensor", by: names[0]) == 0 && sent("tensor", by: names[1]) == 0, "a worker's model reached the client")
        #expect(try sent("share", by: names[0]) >= 1 && sent("share", by: names[1]) >= 1)
    }

    /// Encrypted inference classifies as the plain model does.
    @Test func part12ClassifiesOnShares() async throws {
        let (processes, workers) = try Self.workers(["bob", "alice", "charlie"])
        let (encrypted, plain) = try await Tutorial.part12(alice: workers[1], bob: workers[0], cryptoProvider: workers[2])
        #expect(encrypted == plain && plain.count == 10)
        #expect(plain == (0..<10).map { $0 % 2 }, "the model should separate the clusters: \(plain)")
        for process in processes { #expect(process.stop() == 0) }
    }

    @Test func part8PlansRunInOneMessage() async throws {
        let (processes, workers) = try Self.workers(["bob"])
        let outputs = try await Tutorial.part8(bob: workers[0])
        let w1 = try Tensor.normal([4, 8], standardDeviation: 0.5, seed: 1), w2 = try Tensor.normal([8, 2], standardDeviation: 0.5, seed: 2)
        for (output, seed) in zip(outputs, [UInt64(10), 11]) {
            let expected = try Tensor.normal([3, 4], seed: seed).matmul(w1).relu().matmul(w2).softmax()
            #expect(output == expected)
        }
        for process in processes { #expect(process.stop() == 0) }
    }
}
