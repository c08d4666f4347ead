import Foundation
import TesseraTensor
import TesseraWire

/// How fuzz inputs become frames, and the seed corpus: encoded golden messages of every kind.
enum FuzzSeeds {
    /// Frames from an input: each frame is a 2-byte little-endian length and that many bytes;
    /// what is left over after the last whole one is one more frame.
    static func frames(from data: Data) -> [Data] {
        var frames: [Data] = []
        var index = data.startIndex
        while index + 2 <= data.endIndex {
            let length = Int(data[index]) | Int(data[index + 1]) << 8
            let start = index + 2
            guard start + length <= data.endIndex else { break }
            frames.append(data[start..<(start + length)])
            index = start + length
        }
        if index < data.endIndex { frames.append(data[index...]) }
        return frames.map { Data($0) }
    }

    /// `frames` in the input format above.
    static func input(_ frames: [Data]) -> Data {
        var data = Data()
        for frame in frames {
            let length = min(frame.count, 0xFFFF)
            data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
            data.append(frame.prefix(length))
        }
        return data
    }

    /// Messages of every kind, small enough to mutate quickly.
    static var messages: [Message] {
        let x = (try? Tensor([1, -2, 3, -4], shape: [2, 2])) ?? Tensor([1])
        let weights = [NamedTensor(name: "fc1.weight", tensor: x), NamedTensor(name: "fc1.bias", tensor: Tensor([0.5, -0.5]))]
        return [
            .register(workerID: "w1", sampleCount: 100, labelHistogram: [10, 90]), .welcome(runID: "run", configuration: "{}"),
            .heartbeat, .bye(reason: "done"), .put(id: 1, tensor: x), .get(id: 1), .tensor(id: 1, tensor: x), .delete(ids: [1, 2]),
            .exec(PlanStep(op: .matmul, inputs: [1, 1], output: 2)),
            .plan([PlanStep(op: .relu, inputs: [1], output: 3), PlanStep(op: .sum(axes: [0], keepDimensions: true), inputs: [3], output: 4),
                   PlanStep(op: .reshape([4, -1]), inputs: [1], output: 5), PlanStep(op: .concatenate(axis: 0), inputs: [1, 1], output: 6)]),
            .exec(PlanStep(op: .conv2d(Conv2DOptions(stride: 1, padding: 1)), inputs: [1, 1], output: 7)),
            .exec(PlanStep(op: .maxPool2d(Pool2DOptions(kernel: 2)), inputs: [1], output: 8)),
            .forward(id: 1, endpoint: "tcp://127.0.0.1:1", target: 2), .requireGrad(id: 1), .backward(id: 4), .gradient(id: 1, output: 9),
            .done(objectCount: 1, byteCount: 16),
            .trainTask(TrainTask(round: 1, modelVersion: 0, hyperparameters: "{\"epochs\":1}", weights: weights)),
            .update(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 10, isDelta: true, metrics: ["loss": 0.5], weights: weights)),
            .update(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 10, isDelta: true, metrics: [:],
                                weights: weights.map { NamedTensor(name: $0.name, tensor: $0.tensor.roundedToBFloat16()) })),
            .evaluateTask(EvaluateTask(round: 1, weights: weights)),
            .evaluation(EvaluationResult(round: 1, sampleCount: 10, correctCount: 9, loss: 0.1)), .error(code: 100, message: "no"),
            .secureAggregation(SecureAggregationStep(round: 1, kind: .maskedInput, vector: [1, 2, 3])),
            .shapeOf(id: 1),
            .shape(id: 1, shape: [2, 3], isShare: true),
            .secureAggregation(SecureAggregationStep(round: 1, kind: .roster, body: "[]")),
            .ringPlan([RingStep(.matmul, [3, 3], into: 4), RingStep(.truncate(bits: 16, party: 0), [4], into: 5),
                       RingStep(.random(shape: [2, 2]), [], into: 6), RingStep(.encode(fractionBits: 16), [1], into: 7)]),
        ] + ((try? RingTensor([1, 2, 3, 4], shape: [2, 2])).map { [.putShare(id: 3, share: $0)] } ?? [])
    }

    /// Writes the seed corpus for `target` to `directory`.
    static func write(to directory: URL, target: String) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let codec = WireCodec()
        for (index, message) in messages.enumerated() {
            guard let frames = try? codec.encode(Envelope(id: UInt64(index + 1), message: message)) else { continue }
            try? input(frames).write(to: directory.appendingPathComponent("seed-\(index)"))
        }
        if target == "ops" {
            for seed in 0..<16 { try? Data((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }).write(to: directory.appendingPathComponent("program-\(seed)")) }
        }
    }
}
