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

    @Test func part4AveragesAtATrustedAggregator() async throws {
        let (processes, workers) = try Self.workers(["bob", "alice", "secure"])
        let (bob, alice, average) = try await Tutorial.part4(bob: workers[0], alice: workers[1], aggregator: workers[2])
        #expect(abs(bob.scalars[0] - 1) < 0.01 && abs(alice.scalars[0] - 3) < 0.01)
        #expect(average == (try (bob + alice) * 0.5))
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
