import Foundation
import Testing
import TesseraTensor
@testable import TesseraWire

@Suite("Wire codec")
struct CodecTests {
    static let codec = WireCodec()

    static let messages: [Message] = {
        let t = try! Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let scalar = Tensor(Float(7))
        let steps = [
            PlanStep(op: .conv2d(Conv2DOptions(stride: 2, padding: Size2D(height: 1, width: 2), dilation: 1)), inputs: [1, 2, 3], output: 4),
            PlanStep(op: .sum(axes: [0, -1], keepDimensions: true), inputs: [4], output: 5),
            PlanStep(op: .mean(axes: nil, keepDimensions: false), inputs: [5], output: 6),
            PlanStep(op: .maxPool2d(Pool2DOptions(kernel: 2)), inputs: [4], output: 7),
            PlanStep(op: .reshape([2, -1]), inputs: [7], output: 8),
            PlanStep(op: .slice(1..<3), inputs: [8], output: 9),
            PlanStep(op: .argmax(axis: 1, keepDimensions: false), inputs: [9], output: 10),
        ]
        return [
            .register(workerID: "alice", sampleCount: 6000, labelHistogram: [600, 600, 0, 1]),
            .welcome(runID: "run-1", configuration: "{\"model\":\"mnist-cnn\"}"),
            .heartbeat,
            .bye(reason: "SIGTERM"),
            .put(id: 42, tensor: t),
            .put(id: 43, tensor: scalar),
            .put(id: 44, tensor: try! Tensor.zeros([0, 3])),
            .get(id: 42),
            .tensor(id: 42, tensor: t),
            .delete(ids: [1, 2, 99]),
            .exec(PlanStep(op: .matmul, inputs: [1, 2], output: 3)),
            .plan(steps),
            .done(objectCount: 3, byteCount: 96),
            .forward(id: 3, endpoint: "tcp://127.0.0.1:5557", target: 9),
            .requireGrad(id: 4), .backward(id: 5), .gradient(id: 4, output: 6),
            .trainTask(TrainTask(round: 3, modelVersion: 2, hyperparameters: "{\"lr\":0.05}",
                                 weights: [NamedTensor(name: "fc1.weight", tensor: t), NamedTensor(name: "fc1.bias", tensor: scalar)])),
            .update(TrainUpdate(round: 3, modelVersion: 2, sampleCount: 600, isDelta: true,
                                metrics: ["loss": 0.25, "accuracy": 0.9], weights: [NamedTensor(name: "w", tensor: t)])),
            .evaluateTask(EvaluateTask(round: 4, weights: [NamedTensor(name: "fc1.weight", tensor: t)])),
            .evaluation(EvaluationResult(round: 4, sampleCount: 60, correctCount: 57, loss: 0.21)),
            .error(code: 6, message: "bad things ünïcode"),
            .secureAggregation(SecureAggregationStep(round: 5, kind: .keys, body: #"{"id":"alice","encryptionKey":"AAEC"}"#)),
            .secureAggregation(SecureAggregationStep(round: 5, kind: .maskedInput, vector: [0, 1, .max, 1 << 63, 42])),
            .secureAggregation(SecureAggregationStep(round: 5, kind: .survivors, body: #"["alice","bob"]"#)),
            .putShare(id: 50, share: try! RingTensor([0, 1, .max, 1 << 63, 7, 8], shape: [2, 3])),
            .share(id: 51, share: try! RingTensor([42], shape: [])),
            .ringPlan([RingStep(.add, [1, 2], into: 3), RingStep(.subtract, [3, 1], into: 4), RingStep(.multiply, [3, 4], into: 5),
                       RingStep(.matmul, [5, 6], into: 7), RingStep(.negate, [7], into: 8), RingStep(.truncate(bits: 16, party: 1), [8], into: 9),
                       RingStep(.random(shape: [2, 0, 3]), [], into: 10), RingStep(.encode(fractionBits: 16), [11], into: 12),
                       RingStep(.randomLike, [12], into: 13)]),
        ]
    }()

    @Test("every message round-trips", arguments: messages)
    func roundTrip(message: Message) throws {
        let envelope = Envelope(id: 7, replyTo: 3, message: message)
        #expect(try Self.codec.decode(Self.codec.encode(envelope)) == envelope)
    }

    @Test("every op round-trips")
    func everyOpRoundTrips() throws {
        let ops: [Op] = [.add, .subtract, .multiply, .divide, .power, .negate, .exp, .log, .sqrt, .relu, .sigmoid, .tanh,
                         .sum(axes: nil, keepDimensions: true), .mean(axes: [1], keepDimensions: false),
                         .max(axes: [0, 2], keepDimensions: true), .argmax(axis: -1, keepDimensions: true), .matmul,
                         .conv2d(Conv2DOptions()), .maxPool2d(Pool2DOptions(kernel: 3, stride: 2, padding: 1)),
                         .avgPool2d(Pool2DOptions(kernel: 2)), .softmax(axis: -1), .logSoftmax(axis: 0), .crossEntropy,
                         .reshape([-1]), .permute([1, 0]), .slice(0..<0), .concatenate(axis: 2)]
        for op in ops {
            let envelope = Envelope(id: 1, message: .exec(PlanStep(op: op, inputs: [1], output: 2)))
            #expect(try Self.codec.decode(Self.codec.encode(envelope)) == envelope, "\(op)")
        }
    }

    /// The bytes of docs/PROTOCOL.md's worked example: put id 1, a 2×2 tensor [1, 2, 3, 4].
    @Test func aLargePayloadKeepsItsValuesWhenTheTensorChangesAfterEncoding() throws {
        var tensor = try Tensor.uniform([1 << 15], low: -1, high: 1, seed: 3)  // 128 KiB: borrowed
        let original = tensor.scalars
        let frames = try Self.codec.encode(Envelope(id: 1, replyTo: 0, message: .put(id: 9, tensor: tensor)))
        tensor.scale(by: 2)
        tensor.withMutableScalars { $0[0] = 1234 }
        let decoded = try Self.codec.decode(frames)
        guard case let .put(_, received) = decoded.message else {
            Issue.record("decoded \(decoded.message)")
            return
        }
        #expect(received.scalars == original)
        #expect(tensor.scalars[0] == 1234)
    }

    @Test func aLargeReceivedTensorIsReadInPlaceUntilChanged() throws {
        let tensor = try Tensor.uniform([64, 1024], low: -1, high: 1, seed: 4)  // 256 KiB
        let frames = try Self.codec.encode(Envelope(id: 1, replyTo: 0, message: .put(id: 9, tensor: tensor)))
        guard case var .put(_, received) = try Self.codec.decode(frames).message else {
            Issue.record("not a put")
            return
        }
        let borrowed = try #require(received.borrowed, "a large payload is borrowed, not copied")
        #expect(borrowed.base == frames[1].withUnsafeBytes { $0.baseAddress.map(UnsafeRawPointer.init) })
        #expect(received == tensor)
        #expect(try received.matmul(received, transposingOther: true) == tensor.matmul(tensor, transposingOther: true))
        // Sent on, it goes out from the bytes it came in.
        let forwarded = try Self.codec.encode(Envelope(id: 2, replyTo: 0, message: .tensor(id: 9, tensor: received)))
        #expect(forwarded[1].withUnsafeBytes { $0.baseAddress.map(UnsafeRawPointer.init) } == borrowed.base)
        // Changed, it gets its own copy; the received bytes stay as they were.
        received.scale(by: 2)
        #expect(received.borrowed == nil)
        #expect(received.scalars == tensor.scalars.map { $0 * 2 })
        guard case let .put(_, again) = try Self.codec.decode(frames).message else { return }
        #expect(again == tensor)
    }

    @Test func goldenBytesOfThePutExample() throws {
        let frames = try Self.codec.encode(Envelope(id: 1, message: .put(id: 1, tensor: try Tensor([1, 2, 3, 4], shape: [2, 2]))))
        #expect(frames.count == 2)
        let header = frames[0].map { String(format: "%02x", $0) }.joined()
        let prefix = ["54535241", "01", "0a", "0000", "0100000000000000", "0000000000000000", "12000000"]
        let body = ["0100000000000000", "01", "02", "02000000", "02000000"]
        let expected: String = (prefix + body).joined()
        #expect(header == expected)
        let payload = frames[1].map { String(format: "%02x", $0) }.joined()
        let expectedPayload: String = ["0000803f", "00000040", "00004040", "00008040"].joined()
        #expect(payload == expectedPayload)
    }

    @Test func trainTaskCarriesAParameterSet() throws {
        let task = TrainTask(round: 1, modelVersion: 1, hyperparameters: "{}",
                             weights: [NamedTensor(name: "a", tensor: Tensor([1])), NamedTensor(name: "a", tensor: Tensor([2]))])
        #expect(throws: (any Error).self) { try task.parameters() }
    }
}
