import Foundation
import Testing
import TesseraTensor
@testable import TesseraWire
import TesseraTestSupport

@Suite("Malformed input is a typed error")
struct MalformedTests {
    static let codec = WireCodec()

    static func frames(_ message: Message) throws -> [Data] {
        try codec.encode(Envelope(id: 9, message: message))
    }

    static func kind(_ frames: [Data], codec: WireCodec = MalformedTests.codec) -> WireError.Kind? {
        do {
            _ = try codec.decode(frames)
            return nil
        } catch let error as WireError {
            return error.kind
        } catch {
            Issue.record("non-wire error \(error)")
            return nil
        }
    }

    @Test func everyTruncationOfAHeaderIsAnError() throws {
        let valid = try Self.frames(.trainTask(TrainTask(round: 1, modelVersion: 1, hyperparameters: "{}",
                                                        weights: [NamedTensor(name: "w", tensor: Tensor([1, 2]))])))
        for length in 0..<valid[0].count {
            #expect(Self.kind([valid[0].prefix(length)] + valid.dropFirst()) != nil, "length \(length)")
        }
    }

    @Test func magicVersionTypeAndFlags() throws {
        let valid = try Self.frames(.heartbeat)
        func patched(_ offset: Int, _ value: UInt8) -> [Data] {
            var header = valid[0]
            header[offset] = value
            return [header]
        }
        #expect(Self.kind(patched(0, 0x58)) == .badMagic)
        #expect(Self.kind(patched(4, 2)) == .unsupportedVersion)
        #expect(Self.kind(patched(5, 99)) == .unknownMessageType)
        #expect(Self.kind(patched(6, 4)) == .malformed)
        #expect(Self.kind(patched(6, 3)) == .malformed)
        // Flag 1 (a hosted client) promises a client id the body does not have; flag 2 (several) a list.
        #expect(Self.kind(patched(6, 1)) == .truncated)
        #expect(Self.kind(patched(6, 2)) == .truncated)
        #expect(Self.kind([]) == .frameMismatch)
    }

    @Test func unknownOp() throws {
        var header = try Self.frames(.exec(PlanStep(op: .relu, inputs: [1], output: 2)))[0]
        header[28] = 250   // the op code, first byte of the body
        #expect(Self.kind([header]) == .unknownOp)
    }

    @Test func payloadsThatDisagreeWithShapes() throws {
        let valid = try Self.frames(.put(id: 1, tensor: Tensor([1, 2, 3])))
        #expect(Self.kind([valid[0]]) == .frameMismatch)                            // missing payload
        #expect(Self.kind([valid[0], valid[1].prefix(8)]) == .frameMismatch)        // short payload
        #expect(Self.kind([valid[0], valid[1], valid[1]]) == .frameMismatch)        // extra frame
        #expect(Self.kind([valid[0], valid[1] + Data([0, 0, 0, 0])]) == .frameMismatch)
    }

    /// A secure aggregation step that names no step, or whose masked input disagrees with its
    /// frame, is refused with the reason.
    @Test func secureAggregationStepsAreChecked() throws {
        let valid = try Self.frames(.secureAggregation(SecureAggregationStep(round: 1, kind: .maskedInput, vector: [1, 2, 3])))
        #expect(Self.kind([valid[0]]) == .frameMismatch)                               // missing vector frame
        #expect(Self.kind([valid[0], valid[1].prefix(16)]) == .frameMismatch)          // short vector
        var header = valid[0]
        header[header.startIndex + 36] = 10                                             // step 10 (after the 28-byte header and the round)
        #expect(Self.kind([header, valid[1]]) == .malformed)
        var dtype = valid[0]
        dtype[dtype.count - 6] = 1                                                      // a float32 descriptor
        #expect(Self.kind([dtype, valid[1]]) == .malformed)
        #expect(Message.secureAggregation(SecureAggregationStep(round: 1, kind: .roster)).expectsAnswer)
        #expect(!Message.secureAggregation(SecureAggregationStep(round: 1, kind: .unmasking)).expectsAnswer)
        #expect(Message.secureAggregation(SecureAggregationStep(round: 4, kind: .shares)).round == 4)
    }

    /// A share whose frame disagrees with its shape, that claims the float dtype, or a ring plan
    /// naming an unknown ring op, is refused with the reason.
    @Test func sharesAndRingPlansAreChecked() throws {
        let valid = try Self.frames(.putShare(id: 1, share: RingTensor([1, 2, 3, 4], shape: [2, 2])))
        #expect(Self.kind([valid[0]]) == .frameMismatch)
        #expect(Self.kind([valid[0], valid[1].prefix(16)]) == .frameMismatch)
        var dtype = valid[0]
        dtype[dtype.count - 10] = 1                                                     // dtype byte before rank and two u32 dims
        #expect(Self.kind([dtype, valid[1]]) == .malformed)
        var plan = try Self.frames(.ringPlan([RingStep(.negate, [1], into: 2)]))
        plan[0][plan[0].startIndex + 32] = 99                                           // the first ring op's code
        #expect(Self.kind(plan) == .unknownOp)
        #expect(!Message.share(id: 1, share: try RingTensor([1], shape: [1])).expectsAnswer)
    }

    @Test func absurdSizesAreRefusedBeforeAllocating() throws {
        var writer = ByteWriter()
        for byte in WireCodec.magic { writer.u8(byte) }
        writer.u8(1); writer.u8(MessageType.put.rawValue); writer.u16(0); writer.u64(1); writer.u64(0)
        var body = ByteWriter()
        body.u64(1); body.u8(1); body.u8(4)
        for _ in 0..<4 { body.u32(UInt32.max) }   // 2^128 elements
        writer.u32(UInt32(body.bytes.count))
        #expect(Self.kind([Data(writer.bytes + body.bytes)]) == .limitExceeded)

        let longList = try Self.frames(.delete(ids: [1]))[0]
        var patched = longList
        patched.replaceSubrange(28..<32, with: [0xFF, 0xFF, 0xFF, 0x7F])   // ids count
        #expect(Self.kind([patched]) == .limitExceeded)

        let small = WireCodec(limits: WireLimits(maximumMessageBytes: 64))
        #expect(Self.kind(try Self.frames(.put(id: 1, tensor: Tensor.zeros([100]))), codec: small) == .limitExceeded)
        #expect(throws: WireError.self) { try small.encode(Envelope(id: 1, message: .put(id: 1, tensor: Tensor.zeros([100])))) }
    }

    /// An empty tensor whose other dimension is huge ([0, 2^32 - 1]) is a limit (error 7), as
    /// a full one would be: the tensor layer refuses such a shape, and that refusal once ended
    /// a worker, escaping the decoder as a tensor error.
    @Test func anEmptyTensorWithAHugeDimensionIsALimit() throws {
        var writer = ByteWriter()
        for byte in WireCodec.magic { writer.u8(byte) }
        writer.u8(1); writer.u8(MessageType.put.rawValue); writer.u16(0); writer.u64(1); writer.u64(0)
        var body = ByteWriter()
        body.u64(1); body.u8(1); body.u8(2); body.u32(0); body.u32(UInt32.max)
        writer.u32(UInt32(body.bytes.count))
        #expect(Self.kind([Data(writer.bytes + body.bytes), Data()]) == .limitExceeded)
        // Within the limit it is a valid empty tensor.
        #expect(Self.kind(try Self.frames(.put(id: 1, tensor: Tensor.zeros([0, 1 << 20])))) == nil)
    }

    @Test func badStringsAndBooleans() throws {
        var header = try Self.frames(.bye(reason: "ok"))[0]
        header[32] = 0xFF   // first byte of the reason: not UTF-8
        #expect(Self.kind([header]) == .malformed)
        var update = try Self.frames(.update(TrainUpdate(round: 1, modelVersion: 1, sampleCount: 1, isDelta: false, metrics: [:], weights: [])))[0]
        update[28 + 24] = 7   // is-delta flag
        #expect(Self.kind([update]) == .malformed)
    }

    @Test func anEvaluationCannotCountMoreCorrectThanEvaluated() throws {
        var frames = try Self.frames(.evaluation(EvaluationResult(round: 1, sampleCount: 5, correctCount: 5, loss: 0.1)))
        #expect(Self.kind(frames) == nil)
        frames[0][28 + 16] = 6   // correct count (after round and sample count): 6 of 5
        #expect(Self.kind(frames) == .malformed)
    }

    /// Ten thousand random mutations of valid messages: each decodes or throws a WireError,
    /// never traps (the test process would die).
    @Test func randomMutationsNeverTrap() throws {
        var generator = SeededGenerator(seed: 2026)
        let seeds = try WireCorpus.encodedMessages()
        var decoded = 0, rejected = 0
        for _ in 0..<10_000 {
            let frames = WireCorpus.mutate(seeds[Int(generator.next() % UInt64(seeds.count))], using: &generator)
            do {
                _ = try Self.codec.decode(frames)
                decoded += 1
            } catch is WireError {
                rejected += 1
            }
        }
        #expect(decoded + rejected == 10_000)
        #expect(rejected > 5_000)
    }
}
