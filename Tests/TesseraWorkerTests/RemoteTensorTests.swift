import Foundation
import TesseraTestSupport
import Testing
import TesseraTensor
import TesseraTransport
import TesseraWire
import TesseraWorker

@Suite("Remote tensors on two worker processes", .serialized)
struct RemoteTensorTests {
    /// Many moves from one worker at once (a Beaver triple's six shares go out so): every one is
    /// answered, none lost between its forward finishing and the worker's reply.
    @Test func manyMovesAtOnceAreAllAnswered() async throws {
        let (bobProcess, bobEndpoint) = try startWorker(id: "bob")
        let (aliceProcess, aliceEndpoint) = try startWorker(id: "alice")
        defer { _ = bobProcess.stop(); _ = aliceProcess.stop() }
        let bob = try RemoteWorker(name: "bob", endpoint: bobEndpoint, timeout: 20)
        let alice = try RemoteWorker(name: "alice", endpoint: aliceEndpoint, timeout: 20)
        var sources: [RemoteTensor] = []
        for index in 0..<48 { sources.append(try await Tensor([Float(index)]).send(to: bob)) }
        let moved = try await withThrowingTaskGroup(of: (Int, RemoteTensor).self) { group in
            for (index, source) in sources.enumerated() { group.addTask { (index, try await source.move(to: alice)) } }
            var moved: [Int: RemoteTensor] = [:]
            for try await (index, tensor) in group { moved[index] = tensor }
            return moved
        }
        for index in sources.indices { #expect(try await moved[index]?.get().scalars == [Float(index)]) }
    }

    @Test func sendComputeGetMoveAndFree() async throws {
        let (bobProcess, bobEndpoint) = try startWorker(id: "bob")
        let (aliceProcess, aliceEndpoint) = try startWorker(id: "alice")
        let bob = try RemoteWorker(name: "bob", endpoint: bobEndpoint)
        let alice = try RemoteWorker(name: "alice", endpoint: aliceEndpoint)

        // Part 1: pointers, send and get.
        let local = try Tensor([1, -2, 3, -4], shape: [2, 2])
        let x = try await local.send(to: bob)
        let y = try await x.matmul(x).relu()
        #expect(try await y.get() == (try local.matmul(local).relu()))

        // Part 3: move worker to worker, then compute there.
        let moved = try await y.move(to: alice)
        #expect(moved.worker === alice)
        #expect(try await moved.sum().get() == (try local.matmul(local).relu().sum()))

        // Operands on different workers are refused before anything is sent.
        await #expect(throws: RemoteTensorError.self) { try await x.adding(moved) }

        // Errors come back with the worker's sentence.
        let row = try await Tensor([1, 2, 3]).send(to: bob)
        let error = await #expect(throws: RemoteError.self) { try await x.adding(row) }
        #expect(error?.description.contains("[2, 2]") == true)

        // Part 8: a plan runs several ops in one message.
        let w = try await Tensor.ones([2, 2]).send(to: bob)
        try await bob.run([PlanStep(op: .matmul, inputs: [x.id, w.id], output: 900), PlanStep(op: .relu, inputs: [900], output: 901)])

        // Dropped pointers are freed on the worker.
        let before = try await bob.storeSize().objects
        for _ in 0..<10 { _ = try await Tensor([1]).send(to: bob) }
        try bob.flushDeletions()
        let after = try await bob.storeSize().objects
        #expect(after == before)

        #expect(bobProcess.stop() == 0)
        #expect(aliceProcess.stop() == 0)
    }

    /// Workers with keys move tensors between them over CURVE, each pinning the other's key by
    /// name, and refuse to forward to an endpoint they were not given by name, loopback or not.
    @Test func moveBetweenWorkersWithKeys() async throws {
        let keys = KeyDirectory(FileManager.default.temporaryDirectory.appendingPathComponent("tessera-keys-\(UUID())"))
        defer { try? FileManager.default.removeItem(at: keys.url) }
        let pairs = try ["alice", "bob", "client"].map { try keys.generate($0) }
        let (aliceProcess, aliceEndpoint) = try startWorker(id: "alice", extra: ["--keys", keys.url.path])
        let (bobProcess, bobEndpoint) = try startWorker(id: "bob", extra: ["--keys", keys.url.path, "--forward-to", "alice=\(aliceEndpoint)"])
        let bob = try RemoteWorker(name: "bob", endpoint: bobEndpoint, security: .curveClient(keys: pairs[2], serverKey: pairs[1].publicKey))
        let alice = try RemoteWorker(name: "alice", endpoint: aliceEndpoint, security: .curveClient(keys: pairs[2], serverKey: pairs[0].publicKey))
        let x = try await Tensor([1, 2, 3]).send(to: bob)
        #expect(try await x.move(to: alice).get() == Tensor([1, 2, 3]))
        let (carolProcess, carolEndpoint) = try startWorker(id: "carol")
        let carol = try RemoteWorker(name: "carol", endpoint: carolEndpoint)
        let y = try await Tensor([4]).send(to: bob)
        let error = await #expect(throws: RemoteError.self) { try await y.move(to: carol) }
        #expect(error?.description.contains("--forward-to NAME=ENDPOINT") == true, "\(String(describing: error))")
        #expect(carolProcess.stop() == 0)
        #expect(bobProcess.stop() == 0)
        #expect(aliceProcess.stop() == 0)
    }

    @Test func aGoneWorkerIsAClearError() async throws {
        let (process, endpoint) = try startWorker(id: "carol")
        let carol = try RemoteWorker(name: "carol", endpoint: endpoint, timeout: 1)
        _ = try await Tensor([1]).send(to: carol)
        #expect(process.stop() == 0)
        await #expect(throws: (any Error).self) {
            _ = try await Tensor([2]).send(to: carol)
        }
    }
}

