import Foundation
import TesseraTensor
import TesseraWire

/// Valid messages of every kind, and random mutations of their frames: what the codec's tests
/// and the live-process fuzz tests (a real worker or scheduler driven through its socket) start
/// from.
public enum WireCorpus {
    /// One or more of every message kind, with ops, plans and ring plans of many kinds.
    public static let messages: [Message] = {
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
            .shapeOf(id: 42),
            .shape(id: 42, shape: [2, 0, 3], isShare: false),
            .shape(id: 43, shape: [], isShare: true),
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

    /// The frames of every message in ``messages`` (message id 9).
    public static func encodedMessages() throws -> [[Data]] {
        let codec = WireCodec()
        return try messages.map { try codec.encode(Envelope(id: 9, message: $0)) }
    }

    /// `frames` changed 1 to 4 times at random: a byte overwritten, a frame cut short, a byte
    /// appended, or the last frame dropped (a frame added when there is only one).
    public static func mutate(_ frames: [Data], using generator: inout SeededGenerator) -> [Data] {
        var frames = frames
        let mutations = 1 + Int(generator.next() % 4)
        for _ in 0..<mutations {
            let index = Int(generator.next() % UInt64(frames.count))
            var frame = frames[index]
            switch generator.next() % 4 {
            case 0 where !frame.isEmpty:
                frame[frame.startIndex + Int(generator.next() % UInt64(frame.count))] = UInt8(truncatingIfNeeded: generator.next())
            case 1 where !frame.isEmpty:
                frame = frame.prefix(Int(generator.next() % UInt64(frame.count)))
            case 2:
                frame.append(UInt8(truncatingIfNeeded: generator.next()))
            default:
                if frames.count > 1 { frames.removeLast() } else { frames.append(Data([1, 2, 3, 4])) }
                continue
            }
            frames[index] = frame
        }
        return frames
    }
}
