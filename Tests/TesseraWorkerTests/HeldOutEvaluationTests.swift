import Foundation
import Testing
import TesseraData
import TesseraNN
import TesseraTensor
import TesseraWire
@testable import TesseraWorker

/// Federated evaluation on the worker's side: the held-out split of a client's data and the
/// evaluation of a global model on it.
@Suite("Held-out evaluation")
struct HeldOutEvaluationTests {
    static func configuration(clientIndex: Int = 0, fraction: Double) -> ClientConfiguration {
        ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 4, clientIndex: clientIndex,
                         seed: 11, heldOutFraction: fraction)
    }

    @Test func theHeldOutPartIsDisjointSeededAndNeverAll() {
        let indices = Array(stride(from: 3, to: 403, by: 4))   // 100 indices, not 0..<100
        let share = ClientShare.holdOut(indices, fraction: 0.25, seed: 1, client: 0)
        let (trained, heldOut) = (share.trained, share.heldOut)
        #expect(heldOut.count == 25 && trained.count == 75)
        #expect(Set(trained).isDisjoint(with: heldOut) && Set(trained).union(heldOut) == Set(indices))
        #expect(trained == trained.sorted(), "the trained part keeps the partition's order")
        #expect(ClientShare.holdOut(indices, fraction: 0.25, seed: 1, client: 0).heldOut == heldOut)
        #expect(ClientShare.holdOut(indices, fraction: 0.25, seed: 1, client: 1).heldOut != heldOut)
        #expect(ClientShare.holdOut(indices, fraction: 0, seed: 1, client: 0) == ClientShare(trained: indices, heldOut: []))
        #expect(ClientShare.holdOut(indices, fraction: 0.001, seed: 1, client: 0).heldOut.count == 1)
        #expect(ClientShare.holdOut([7], fraction: 0.5, seed: 1, client: 0) == ClientShare(trained: [7], heldOut: []))
        #expect(ClientShare.holdOut([7, 8], fraction: 0.99, seed: 1, client: 0).trained.count == 1)
    }

    @Test func aClientEvaluatesAModelOnItsHeldOutData() throws {
        let whole = try LocalTrainer(configuration: Self.configuration(fraction: 0))
        let client = try LocalTrainer(configuration: Self.configuration(fraction: 0.2))
        #expect(whole.heldOut.count == 0)
        #expect(client.heldOut.count > 0 && client.shard.count + client.heldOut.count == whole.shard.count)
        let model = try Model(spec: .logisticRegression, seed: 3)
        let result = try client.evaluate(EvaluateTask(round: 2, parameters: model.parameters))
        let expected = try model.evaluate(Batches(client.heldOut, batchSize: 64))
        #expect(result.round == 2 && result.sampleCount == UInt64(client.heldOut.count))
        #expect(result.correctCount == UInt64((expected.accuracy * Double(expected.count)).rounded()))
        #expect(abs(result.loss - expected.loss) < 1e-4)
        #expect(throws: WorkerError.noHeldOutData) { try whole.evaluate(EvaluateTask(round: 2, parameters: model.parameters)) }
    }

    @Test func outOfRangeFractionsAreRefused() {
        #expect(throws: WorkerError.self) { try LocalTrainer(configuration: Self.configuration(fraction: 1)) }
        #expect(throws: WorkerError.self) { try LocalTrainer(configuration: Self.configuration(fraction: -0.1)) }
    }

    /// A welcome from a scheduler that predates held-out data still decodes (no held-out data).
    @Test func aConfigurationWithoutTheFractionDecodes() throws {
        var json = try Self.configuration(fraction: 0.3).json()
        json = json.replacingOccurrences(of: #","heldOutFraction":0.3"#, with: "")
            .replacingOccurrences(of: #""heldOutFraction":0.3,"#, with: "")
        #expect(!json.contains("heldOutFraction"))
        #expect(try ClientConfiguration(json: json).heldOutFraction == 0)
    }
}
