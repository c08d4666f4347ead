import Foundation
import Testing
import TesseraTensor
@testable import TesseraWire
import TesseraTestSupport

@Suite("Wire codec")
struct CodecTests {
    static let codec = WireCodec()

    static let messages = WireCorpus.messages

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

    /// A bfloat16 tensor goes out as dtype 3 in two bytes a value, small or large, and comes
    /// back as bfloat16 with the same values; sent on, it stays so.
    @Test func bfloat16TensorsTravelInTwoBytesAValue() throws {
        for count in [5, 1 << 16] {
            let tensor = try Tensor.uniform([count], low: -1, high: 1, seed: 5).roundedToBFloat16()
            let update = TrainUpdate(round: 1, modelVersion: 0, sampleCount: 3, isDelta: true, metrics: [:],
                                     weights: [NamedTensor(name: "w", tensor: tensor)])
            let frames = try Self.codec.encode(Envelope(id: 1, message: .update(update)))
            #expect(frames.count == 2 && frames[1].count == 2 * count)
            let decoded = try Self.codec.decode(frames)
            guard case let .update(received) = decoded.message else { Issue.record("not an update"); return }
            #expect(received.weights[0].tensor.isBFloat16)
            #expect(received.weights[0].tensor == tensor)
            let again = try Self.codec.encode(decoded)
            #expect(again[1] == frames[1])
        }
    }

    /// A bfloat16 tensor whose frame holds float32 bytes is refused, as a float32 one whose
    /// frame is short is.
    @Test func aBFloat16TensorWithAFloat32FrameIsRefused() throws {
        let tensor = try Tensor.uniform([8], low: -1, high: 1, seed: 5)
        var frames = try Self.codec.encode(Envelope(id: 1, message: .put(id: 4, tensor: tensor.roundedToBFloat16())))
        frames[1] = try Self.codec.encode(Envelope(id: 1, message: .put(id: 4, tensor: tensor)))[1]
        #expect(throws: WireError.self) { try Self.codec.decode(frames) }
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
