import Foundation
import Synchronization
import TesseraTestSupport
import Testing
import TesseraTensor
import TesseraNN
import TesseraTransport
@testable import TesseraWire
import TesseraWorker

@Suite("A live worker process", .serialized)
struct LiveWorkerTests {
    /// A task runs on its own thread: while it runs the worker keeps answering, refuses a
    /// second task with an error, and then replies to the first.
    @Test func aSecondTaskWhileOneRunsIsRefused() throws {
        let (worker, endpoint) = try startWorker(extra: ["--slow", "2"])
        defer { _ = worker.stop() }
        let configuration = ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 4, clientIndex: 0, seed: 1)
        let second = try RequestClient(connectingTo: endpoint)
        #expect(try second.request(.welcome(runID: "t", configuration: try configuration.json())) == .done(objectCount: 0, byteCount: 0))
        let task = Message.trainTask(TrainTask(round: 1, modelVersion: 0, hyperparameters: "{\"epochs\":1,\"batchSize\":32,\"learningRate\":0.05}",
                                               parameters: try Model(spec: .logisticRegression, seed: 1).parameters))
        let firstReply = Mutex<Message?>(nil)
        let thread = Thread {
            let reply = try? RequestClient(connectingTo: endpoint).request(task, timeout: 60)
            firstReply.withLock { $0 = reply }
        }
        thread.start()
        _ = try worker.waitForLine(containing: "round 1 train task", timeout: 30)
        // The first task sleeps 2 s before training: the worker still answers, and refuses a second task.
        #expect(try second.request(.put(id: 1, tensor: Tensor([1]))) == .done(objectCount: 1, byteCount: 4))
        let refusal = try second.request(task)
        guard case let .error(_, text) = refusal, text.contains("busy") else {
            Issue.record("a second task while one ran was answered with \(refusal)")
            return
        }
        let deadline = Date().addingTimeInterval(30)
        while firstReply.withLock({ $0 }) == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard case let .update(update) = firstReply.withLock({ $0 }) else {
            Issue.record("the first task was not answered with an update: \(String(describing: firstReply.withLock { $0 }))")
            return
        }
        #expect(update.round == 1 && update.sampleCount > 0)
    }

    @Test func remoteOpsOnARealProcess() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        let x = try Tensor.normal([2, 3, 8, 8], seed: 1), w = try Tensor.normal([4, 3, 3, 3], seed: 2)
        #expect(try client.request(.put(id: 1, tensor: x)) == .done(objectCount: 1, byteCount: UInt64(x.count * 4)))
        _ = try client.request(.put(id: 2, tensor: w))
        _ = try client.request(.plan([PlanStep(op: .conv2d(Conv2DOptions(padding: 1)), inputs: [1, 2], output: 3),
                                      PlanStep(op: .relu, inputs: [3], output: 4)]))
        let expected = try x.conv2d(weight: w, options: Conv2DOptions(padding: 1)).relu()
        #expect(try client.request(.get(id: 4)) == .tensor(id: 4, tensor: expected))
        #expect(worker.stop() == 0)
    }

    /// Every class of malformed input gets an error reply of the right kind, and the worker
    /// still answers a valid request afterwards.
    @Test func garbageGetsErrorRepliesAndServiceGoesOn() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        let codec = WireCodec()
        let put = try codec.encode(Envelope(id: 1, message: .put(id: 1, tensor: Tensor([1, 2, 3]))))
        var badMagic = put[0]; badMagic[0] = 0
        var badVersion = put[0]; badVersion[4] = 9
        var badType = put[0]; badType[5] = 77
        var badOp = try codec.encode(Envelope(id: 2, message: .exec(PlanStep(op: .relu, inputs: [1], output: 2))))[0]
        badOp[28] = 200
        var absurd = put[0]
        absurd.replaceSubrange(38..<42, with: [0xFF, 0xFF, 0xFF, 0xFF])   // first dimension
        let cases: [([Data], WireError.Kind)] = [
            ([put[0].prefix(10)], .truncated), ([badMagic, put[1]], .badMagic), ([badVersion, put[1]], .unsupportedVersion),
            ([badType, put[1]], .unknownMessageType), ([badOp], .unknownOp), ([put[0], put[1].prefix(4)], .frameMismatch),
            ([absurd, put[1]], .limitExceeded), ([Data()], .truncated),
        ]
        for (frames, kind) in cases {
            guard case let .error(code, _) = try client.requestRaw(frames) else { Issue.record("no error for \(kind)"); continue }
            #expect(code == kind.rawValue, "\(kind)")
        }
        guard case let .error(code, text) = try client.request(.get(id: 12345)) else { Issue.record("unknown id accepted"); return }
        #expect(code == WireError.Kind.requestFailed.rawValue && text.contains("12345"))
        #expect(try client.request(.put(id: 1, tensor: Tensor([5]))) == .done(objectCount: 1, byteCount: 4))
        #expect(worker.stop() == 0)
    }

    /// Ten thousand mutated messages: the worker answers every one, stays up, and its memory
    /// does not grow without bound.
    @Test func tenThousandMutatedMessages() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        let codec = WireCodec()
        let seeds = try [
            Message.put(id: 1, tensor: Tensor.zeros([4, 4])), .get(id: 1), .delete(ids: [1, 2]),
            .plan([PlanStep(op: .matmul, inputs: [1, 1], output: 2), PlanStep(op: .sum(axes: [0], keepDimensions: false), inputs: [2], output: 3)]),
            .exec(PlanStep(op: .conv2d(Conv2DOptions()), inputs: [1, 1], output: 4)),
        ].map { try codec.encode(Envelope(id: 1, message: $0)) }
        var generator = SeededGenerator(seed: 99)
        var residentAfterWarmup = 0
        for round in 0..<10_000 {
            var frames = seeds[Int(generator.next() % UInt64(seeds.count))]
            let index = Int(generator.next() % UInt64(frames.count))
            if !frames[index].isEmpty {
                frames[index][Int(generator.next() % UInt64(frames[index].count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            if generator.next() % 5 == 0 { frames[index] = frames[index].prefix(Int(generator.next() % UInt64(frames[index].count + 1))) }
            _ = try client.requestRaw(frames, timeout: 10)
            if round == 1000 { residentAfterWarmup = residentKilobytes(worker.process.processIdentifier) }
        }
        #expect(worker.process.isRunning)
        let reply = try client.request(.put(id: 9, tensor: Tensor([1])))
        if case .done = reply {} else { Issue.record("after the garbage, a valid put was answered with \(reply)") }
        let resident = residentKilobytes(worker.process.processIdentifier)
        #expect(resident < residentAfterWarmup + 64 * 1024, "resident \(resident) kB after warm-up \(residentAfterWarmup) kB")
        #expect(worker.stop(signal: SIGINT) == 0)
    }

    func residentKilobytes(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// An error reply to a message whose header could be read answers that message's id.
    @Test func errorRepliesAnswerTheMessageTheyAreAbout() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        var badOp = try WireCodec().encode(Envelope(id: 42, message: .exec(PlanStep(op: .relu, inputs: [1], output: 2))))[0]
        badOp[28] = 200
        try client.channel.sendRaw([badOp], to: nil)
        let reply = try #require(try client.channel.receive(timeout: 10)?.envelope.get())
        #expect(reply.replyTo == 42)
        if case let .error(code, _) = reply.message { #expect(code == WireError.Kind.unknownOp.rawValue) } else {
            Issue.record("expected an error, got \(reply.message.kindName)")
        }
        #expect(worker.stop() == 0)
    }

    /// A forward runs beside the worker's serving: to itself it completes at once, and while one
    /// waits on a peer that is not there, other requests are answered.
    @Test func forwardingDoesNotStopTheWorkerServing() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        _ = try client.request(.put(id: 1, tensor: Tensor([1, 2, 3])))
        let started = Date()
        #expect(try client.request(.forward(id: 1, endpoint: endpoint, target: 2), timeout: 10) == .done(objectCount: 2, byteCount: 24))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try client.request(.get(id: 2)) == .tensor(id: 2, tensor: Tensor([1, 2, 3])))
        // Nobody listens on port 1: that forward waits, and the put after it is answered first.
        try client.channel.send(Envelope(id: 100, message: .forward(id: 1, endpoint: "tcp://127.0.0.1:1", target: 3)))
        try client.channel.send(Envelope(id: 101, message: .put(id: 4, tensor: Tensor([7]))))
        let first = try #require(try client.channel.receive(timeout: 10)?.envelope.get())
        #expect(first.replyTo == 101)
        #expect(worker.stop() == 0)
    }

    /// A frame larger than the worker's message limit is dropped by libzmq with the
    /// connection, unanswered (docs/PROTOCOL.md, Limits); the client reconnects and is served.
    @Test func aFrameOverTheMessageLimitIsDroppedAndTheWorkerGoesOn() throws {
        let (worker, endpoint) = try startWorker(extra: ["--max-message-bytes", "1024"])
        let client = try RequestClient(connectingTo: endpoint)
        #expect(throws: TransportError.self) { try client.requestRaw([Data(repeating: 7, count: 4096)], timeout: 2) }
        // Several frames each under the limit but over it together: an error reply, code 7.
        let frames = try WireCodec().encode(Envelope(id: 1, message: .put(id: 1, tensor: Tensor.zeros([200]))))
        guard case let .error(code, _) = try client.requestRaw(frames + [Data(repeating: 0, count: 800)], timeout: 10) else {
            Issue.record("no error reply"); return
        }
        #expect(code == WireError.Kind.limitExceeded.rawValue)
        #expect(try client.request(.put(id: 2, tensor: Tensor([1]))) == .done(objectCount: 1, byteCount: 4))
        #expect(worker.stop() == 0)
    }

    /// A slice that ends before it starts is malformed whatever the worker holds: code 6.
    @Test func aSliceEndingBeforeItStartsIsMalformed() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        var frames = try WireCodec().encode(Envelope(id: 3, message: .exec(PlanStep(op: .slice(1..<2), inputs: [1], output: 2))))
        // The op's body: code (offset 28), start (29-32), end (33-36): make end 0.
        frames[0].replaceSubrange(33..<37, with: [0, 0, 0, 0])
        guard case let .error(code, _) = try client.requestRaw(frames) else { Issue.record("no error reply"); return }
        #expect(code == WireError.Kind.malformed.rawValue)
        #expect(worker.stop() == 0)
    }

    /// A peer cannot make the worker connect wherever it names: forwarding beyond this machine
    /// goes only to endpoints the worker was started with (refused before any connection).
    @Test func forwardingBeyondThisMachineNeedsTheEndpointListed() throws {
        let (worker, endpoint) = try startWorker()
        let client = try RequestClient(connectingTo: endpoint)
        _ = try client.request(.put(id: 1, tensor: Tensor([1, 2])))
        guard case let .error(code, text) = try client.request(.forward(id: 1, endpoint: "tcp://192.0.2.1:5556", target: 2), timeout: 5) else {
            Issue.record("a forward to an unlisted host was not refused"); return
        }
        #expect(code == WireError.Kind.requestFailed.rawValue && text.contains("--forward-to"), "\(text)")
        #expect(worker.stop() == 0)
    }
}
