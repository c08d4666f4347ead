import Foundation
import TesseraTensor

// The type-specific body of each message (docs/PROTOCOL.md, "Bodies").

extension WireCodec {
    func encodeBody(_ message: Message, into writer: inout ByteWriter, payloads: inout [Data]) throws {
        func tensor(_ value: Tensor) throws {
            guard value.rank <= limits.maximumRank, value.count <= limits.maximumTensorElements else {
                throw WireError(.limitExceeded, "tensor of shape \(value.shape) exceeds the wire limits")
            }
            writer.u8(Self.carriesBFloat16(value) ? 3 : 1)
            writer.u8(UInt8(value.rank))
            for dimension in value.shape { writer.u32(UInt32(dimension)) }
            payloads.append(Self.payload(of: value))
        }
        func ring(_ value: RingTensor) throws {
            guard value.shape.count <= limits.maximumRank, value.count <= limits.maximumTensorElements else {
                throw WireError(.limitExceeded, "ring tensor of shape \(value.shape) exceeds the wire limits")
            }
            writer.u8(2)
            writer.u8(UInt8(value.shape.count))
            for dimension in value.shape { writer.u32(UInt32(dimension)) }
            payloads.append(Self.payload(ofRing: value.elements))
        }
        func named(_ values: [NamedTensor]) throws {
            writer.count(values.count)
            for value in values {
                writer.string(value.name)
                try tensor(value.tensor)
            }
        }
        func ids(_ values: [TensorID]) {
            writer.count(values.count)
            for value in values { writer.u64(value) }
        }
        func step(_ value: PlanStep) {
            value.op.encode(into: &writer)
            ids(value.inputs)
            writer.u64(value.output)
        }
        switch message {
        case let .register(workerID, sampleCount, histogram):
            writer.string(workerID)
            writer.u64(sampleCount)
            writer.count(histogram.count)
            for bin in histogram { writer.u64(bin) }
        case let .welcome(runID, configuration):
            writer.string(runID)
            writer.string(configuration)
        case .heartbeat:
            break
        case let .bye(reason):
            writer.string(reason)
        case let .put(id, value), let .tensor(id, value):
            writer.u64(id)
            try tensor(value)
        case let .get(id), let .shapeOf(id):
            writer.u64(id)
        case let .shape(id, shape, isShare):
            guard shape.count <= limits.maximumRank, shape.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }) else {
                throw WireError(.limitExceeded, "shape \(shape) exceeds the wire limits")
            }
            writer.u64(id)
            writer.u8(isShare ? 1 : 0)
            writer.u8(UInt8(shape.count))
            for dimension in shape { writer.u32(UInt32(dimension)) }
        case let .putShare(id, value), let .share(id, value):
            writer.u64(id)
            try ring(value)
        case let .ringPlan(steps):
            writer.count(steps.count)
            for value in steps {
                value.op.encode(into: &writer)
                ids(value.inputs)
                writer.u64(value.output)
            }
        case let .delete(values):
            ids(values)
        case let .exec(value):
            step(value)
        case let .plan(steps):
            writer.count(steps.count)
            for value in steps { step(value) }
        case let .done(objects, bytes):
            writer.u64(objects)
            writer.u64(bytes)
        case let .requireGrad(id), let .backward(id):
            writer.u64(id)
        case let .gradient(id, output):
            writer.u64(id)
            writer.u64(output)
        case let .forward(id, endpoint, target):
            writer.u64(id)
            writer.string(endpoint)
            writer.u64(target)
        case let .trainTask(task):
            writer.u64(task.round)
            writer.u64(task.modelVersion)
            writer.string(task.hyperparameters)
            try named(task.weights)
        case let .update(update):
            writer.u64(update.round)
            writer.u64(update.modelVersion)
            writer.u64(update.sampleCount)
            writer.u8(update.isDelta ? 1 : 0)
            writer.count(update.metrics.count)
            for (name, value) in update.metrics.sorted(by: { $0.key < $1.key }) {
                writer.string(name)
                writer.f64(value)
            }
            try named(update.weights)
        case let .evaluateTask(task):
            writer.u64(task.round)
            try named(task.weights)
        case let .evaluation(result):
            writer.u64(result.round)
            writer.u64(result.sampleCount)
            writer.u64(result.correctCount)
            writer.f64(result.loss)
        case let .error(code, text):
            writer.u16(code)
            writer.string(text)
        case let .secureAggregation(step):
            writer.u64(step.round)
            writer.u8(step.kind.rawValue)
            writer.string(step.body)
            // A masked input's elements: a descriptor of dtype 2 (u64), rank 1, and its frame.
            guard step.vector.count <= limits.maximumTensorElements else {
                throw WireError(.limitExceeded, "a masked input of \(step.vector.count) elements exceeds the wire limits")
            }
            writer.u8(2)
            writer.u8(1)
            writer.u32(UInt32(step.vector.count))
            payloads.append(Self.payload(ofRing: step.vector))
        }
        guard payloads.count <= limits.maximumTensors else {
            throw WireError(.limitExceeded, "\(payloads.count) payloads exceed the limit of \(limits.maximumTensors) tensors")
        }
    }

    func decodeBody(_ type: MessageType, from reader: inout ByteReader, payloads: inout PayloadFrames) throws -> Message {
        func named() throws -> [NamedTensor] {
            let count = try reader.count("named tensors", minimumEntryBytes: 6)
            return try (0..<count).map { _ in
                NamedTensor(name: try reader.string("tensor name"), tensor: try payloads.tensor(from: &reader))
            }
        }
        func ids(_ field: String) throws -> [TensorID] {
            let count = try reader.count(field, minimumEntryBytes: 8)
            return try (0..<count).map { _ in try reader.u64("tensor id") }
        }
        func step() throws -> PlanStep {
            PlanStep(op: try Op.decode(from: &reader), inputs: try ids("op inputs"), output: try reader.u64("op output"))
        }
        switch type {
        case .register:
            let workerID = try reader.string("worker id")
            let samples = try reader.u64("sample count")
            let bins = try reader.count("label histogram", minimumEntryBytes: 8)
            return .register(workerID: workerID, sampleCount: samples,
                             labelHistogram: try (0..<bins).map { _ in try reader.u64("histogram bin") })
        case .welcome:
            return .welcome(runID: try reader.string("run id"), configuration: try reader.string("configuration"))
        case .heartbeat:
            return .heartbeat
        case .bye:
            return .bye(reason: try reader.string("reason"))
        case .put:
            return .put(id: try reader.u64("tensor id"), tensor: try payloads.tensor(from: &reader))
        case .tensor:
            return .tensor(id: try reader.u64("tensor id"), tensor: try payloads.tensor(from: &reader))
        case .get:
            return .get(id: try reader.u64("tensor id"))
        case .shapeOf:
            return .shapeOf(id: try reader.u64("tensor id"))
        case .shape:
            let id = try reader.u64("tensor id"), isShare = try reader.bool("is share")
            let rank = Int(try reader.u8("shape rank"))
            guard rank <= limits.maximumRank else {
                throw WireError(.limitExceeded, "a shape of rank \(rank); the limit is \(limits.maximumRank)")
            }
            return .shape(id: id, shape: try (0..<rank).map { _ in Int(try reader.u32("shape dimension")) }, isShare: isShare)
        case .putShare:
            return .putShare(id: try reader.u64("tensor id"), share: try payloads.ring(from: &reader))
        case .share:
            return .share(id: try reader.u64("tensor id"), share: try payloads.ring(from: &reader))
        case .ringPlan:
            let count = try reader.count("ring plan steps", minimumEntryBytes: 13)
            return .ringPlan(try (0..<count).map { _ in
                RingStep(try RingOp.decode(from: &reader), try ids("ring op inputs"), into: try reader.u64("ring op output"))
            })
        case .delete:
            return .delete(ids: try ids("ids"))
        case .exec:
            return .exec(try step())
        case .plan:
            let count = try reader.count("plan steps", minimumEntryBytes: 13)
            return .plan(try (0..<count).map { _ in try step() })
        case .done:
            return .done(objectCount: try reader.u64("object count"), byteCount: try reader.u64("byte count"))
        case .requireGrad:
            return .requireGrad(id: try reader.u64("tensor id"))
        case .backward:
            return .backward(id: try reader.u64("tensor id"))
        case .gradient:
            return .gradient(id: try reader.u64("tensor id"), output: try reader.u64("output id"))
        case .forward:
            return .forward(id: try reader.u64("tensor id"), endpoint: try reader.string("endpoint"), target: try reader.u64("target id"))
        case .trainTask:
            return .trainTask(TrainTask(
                round: try reader.u64("round"), modelVersion: try reader.u64("model version"),
                hyperparameters: try reader.string("hyperparameters"), weights: try named()))
        case .update:
            let round = try reader.u64("round"), version = try reader.u64("model version")
            let samples = try reader.u64("sample count")
            let isDelta = try reader.bool("is delta")
            let metricCount = try reader.count("metrics", minimumEntryBytes: 12)
            var metrics: [String: Double] = [:]
            for _ in 0..<metricCount {
                let start = reader.offset
                let name = try reader.string("metric name")
                guard metrics.updateValue(try reader.f64("metric value"), forKey: name) == nil else {
                    throw WireError(.malformed, "metric '\(name)' at offset \(start) appears twice")
                }
            }
            return .update(TrainUpdate(round: round, modelVersion: version, sampleCount: samples,
                                       isDelta: isDelta, metrics: metrics, weights: try named()))
        case .evaluateTask:
            return .evaluateTask(EvaluateTask(round: try reader.u64("round"), weights: try named()))
        case .evaluation:
            let round = try reader.u64("round"), samples = try reader.u64("sample count")
            let start = reader.offset
            let correct = try reader.u64("correct count")
            guard correct <= samples else {
                throw WireError(.malformed, "correct count \(correct) at offset \(start) exceeds the sample count \(samples)")
            }
            return .evaluation(EvaluationResult(round: round, sampleCount: samples, correctCount: correct,
                                                loss: try reader.f64("loss")))
        case .error:
            return .error(code: try reader.u16("error code"), message: try reader.string("error message"))
        case .secureAggregation:
            let round = try reader.u64("round")
            let start = reader.offset
            let code = try reader.u8("secure aggregation step")
            guard let kind = SecureAggregationStep.Kind(rawValue: code) else {
                throw WireError(.malformed, "secure aggregation step \(code) at offset \(start) does not exist (1-7)")
            }
            return .secureAggregation(SecureAggregationStep(round: round, kind: kind, body: try reader.string("secure aggregation body"),
                                                            vector: try payloads.ringVector(from: &reader)))
        }
    }
}
