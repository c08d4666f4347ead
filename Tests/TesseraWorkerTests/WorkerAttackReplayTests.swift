import Foundation
import TesseraTestSupport
import Testing
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

/// The attacks on a worker, replayed against a live worker process while an honest client uses
/// it: each is refused with an error reply of its kind and traced, the worker keeps serving,
/// and the honest client's results are exactly those computed without any attacker.
@Suite("Attacks on a worker, replayed live", .serialized)
struct WorkerAttackReplayTests {
    /// Each attack as the attacker sends it (frames), with the error code it must get.
    static func attacks() throws -> [(name: String, frames: [Data], code: UInt16)] {
        let codec = WireCodec()
        func exec(_ op: Op, _ inputs: [TensorID]) throws -> [Data] {
            try codec.encode(Envelope(id: 9, message: .exec(PlanStep(op: op, inputs: inputs, output: 2000))))
        }
        var lying = try codec.encode(Envelope(id: 9, message: .put(id: 2001, tensor: Tensor([1, 2, 3, 4]))))
        lying[1] = lying[1].prefix(8)
        return [
            ("reshape overflowing Int", try exec(.reshape([2_147_483_647, 2_147_483_647, 2_147_483_647]), [1001]),
             WireError.Kind.requestFailed.rawValue),
            ("broadcast to 2^40 elements", try exec(.add, [1002, 1003]), WireError.Kind.limitExceeded.rawValue),
            ("one tensor concatenated 65,536 times", try exec(.concatenate(axis: 0), Array(repeating: 1002, count: 65_536)),
             WireError.Kind.limitExceeded.rawValue),
            ("conv2d padded by 65,536", try exec(.conv2d(Conv2DOptions(padding: 65_536)), [1004, 1005]), WireError.Kind.limitExceeded.rawValue),
            ("a matmul over the work limit", try exec(.matmul, [1006, 1006]), WireError.Kind.limitExceeded.rawValue),
            ("forward to a host outside the federation",
             try codec.encode(Envelope(id: 9, message: .forward(id: 1001, endpoint: "tcp://192.0.2.1:5556", target: 2000))),
             WireError.Kind.requestFailed.rawValue),
            ("a tensor frame shorter than its shape", lying, WireError.Kind.frameMismatch.rawValue),
            ("garbage", [Data("not a tessera message".utf8)], WireError.Kind.badMagic.rawValue),
        ]
    }

    /// The honest client's work, in two halves around whatever happens between them.
    static func session(_ client: RequestClient, between: () throws -> Void) throws -> (Tensor, Tensor) {
        let x = try Tensor.normal([64, 20], seed: 3), w = try Tensor.normal([20, 10], seed: 4)
        _ = try client.request(.put(id: 1, tensor: x))
        _ = try client.request(.put(id: 2, tensor: w))
        _ = try client.request(.plan([PlanStep(op: .matmul, inputs: [1, 2], output: 3), PlanStep(op: .logSoftmax(axis: 1), inputs: [3], output: 4)]))
        try between()
        _ = try client.request(.plan([PlanStep(op: .relu, inputs: [4], output: 5), PlanStep(op: .sum(axes: [0], keepDimensions: false), inputs: [5], output: 6)]))
        guard case let .tensor(_, first) = try client.request(.get(id: 4)), case let .tensor(_, second) = try client.request(.get(id: 6)) else {
            throw HarnessError(description: "the honest client's gets did not return tensors")
        }
        return (first, second)
    }

    @Test func everyAttackIsRefusedTracedAndTheHonestClientUnaffected() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-worker-replay-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (worker, endpoint) = try startWorker(id: "target", extra: ["--trace-dir", directory.path, "--max-work", "1000000000"])
        let honest = try RequestClient(connectingTo: endpoint)
        let attacker = try RequestClient(connectingTo: endpoint)
        let attacks = try Self.attacks()
        let (first, second) = try Self.session(honest) {
            for (id, tensor) in [(1001, try Tensor([1, 2, 3, 4])), (1002, try Tensor.zeros([1 << 20, 1])), (1003, try Tensor.zeros([1, 1 << 20])),
                                 (1004, try Tensor.zeros([1, 1, 4, 4])), (1005, try Tensor.zeros([1, 1, 3, 3])), (1006, try Tensor.zeros([1024, 1024]))] {
                _ = try attacker.request(.put(id: TensorID(id), tensor: tensor))
            }
            for attack in attacks {
                guard case let .error(code, text) = try attacker.requestRaw(attack.frames, timeout: 10) else {
                    Issue.record("\(attack.name) was not refused"); continue
                }
                #expect(code == attack.code, "\(attack.name): \(text)")
            }
        }
        let x = try Tensor.normal([64, 20], seed: 3), w = try Tensor.normal([20, 10], seed: 4)
        let expected = try x.matmul(w).logSoftmax(alongAxis: 1)
        #expect(first == expected)
        #expect(second == (try expected.relu().sum(alongAxes: [0])))
        #expect(worker.stop() == 0, "the worker did not keep serving to a clean stop")
        // The worker's trace holds every refusal it sent.
        let events = try TraceReader.read(directory.appendingPathComponent("target.trace.jsonl")).events
        #expect(events.filter { $0.direction == "send" && $0.type == "error" }.count == attacks.count)
    }
}
