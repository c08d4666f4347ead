import Foundation
import Testing
import TesseraNN
@testable import TesseraScheduler
import TesseraTensor
import TesseraWire

/// Updates sent as bfloat16 changes (`training.update_precision: bfloat16`) are averaged as
/// they came, and make the model the same updates sent as models make.
@Suite("Updates sent as changes")
struct ChangeUpdateTests {
    /// The same round twice, once answered with models and once with their changes in
    /// bfloat16: the same contributors and the same model, bit for bit; the change far beyond
    /// the others' is refused either way, and the model moves by the others' average only.
    @Test func changesMakeTheModelTheirModelsMake() throws {
        var models: [ParameterSet] = []
        for asChange in [false, true] {
            let federation = try InProcessFederation(InProcessFederation.configuration(workers: 4))
            let workers = try federation.join(["a", "b", "c", "d"])
            let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
            let start = federation.machine.global.tensors[0].scalars[0]
            for (index, change) in [Float(0.0123), -0.0371, 0.0219, 30].enumerated() {
                try workers[index].answer(tasks[index], change: change, asChange: asChange, samples: UInt64(10 * (index + 1)))
            }
            try federation.pump()
            #expect(federation.rounds.first?.contributors == ["a", "b", "c"])
            // (0.0123 · 10 − 0.0371 · 20 + 0.0219 · 30) / 60, each change rounded to bfloat16 first.
            #expect(abs(federation.machine.global.tensors[0].scalars[0] - start - 0.000610) < 1e-5)
            models.append(federation.machine.global)
        }
        #expect(models[0] == models[1])
    }

    /// A bfloat16 change holding NaNs is refused when the round closes, saying why; the others
    /// make the round's model.
    @Test func aChangeThatIsNotFiniteIsRefused() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 3))
        let workers = try federation.join(["a", "b", "c"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox())[0] }
        for (index, change) in [Float(0.01), 0.02, .nan].enumerated() {
            try workers[index].answer(tasks[index], change: change, asChange: true)
        }
        try federation.pump()
        #expect(federation.rounds.first?.contributors == ["a", "b"])
        let errors = try workers[2].inbox().compactMap { if case let .error(_, message) = $0.message { message } else { nil } }
        #expect(errors.contains { $0.contains("its change is not finite") }, "\(errors)")
        #expect(federation.machine.global.tensors.allSatisfy { $0.isFinite })
    }

    /// A change that is finite but whose model is not (added to a huge weight) is refused
    /// when the round is averaged, and said so; the others' norms stand.
    @Test func aChangeWhoseModelOverflowsIsMarked() throws {
        let global = try ParameterSet([(name: "w", tensor: Tensor([3e38, 1]))])
        func kept(_ worker: String, _ values: [Float]) throws -> ValidatedUpdate {
            try ValidatedUpdate(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 1, isDelta: true, metrics: [:],
                                            weights: [NamedTensor(name: "w", tensor: Tensor(values))]),
                                from: worker, global: global, measuringChange: false)
        }
        let updates = [try kept("a", [3e38, 0]), try kept("b", [0, 0.5])]
        let measured = try FederatedAveraging.aggregate(updates, measuringChangesFrom: global)
        #expect(measured.changeNorms.allSatisfy { $0.isFinite })
        let norms = try SchedulerMachine.overflowsMarked(zip(updates, measured.changeNorms).map { ($0, $1) }, average: measured.average)
        #expect(norms[0] == .infinity && norms[1] == 0.5)
    }
}

extension ChangeUpdateTests {
    /// The setting reaches the workers' hyperparameters; secure aggregation, whose updates are
    /// masked integers, refuses it; an unknown precision is an error naming the choices.
    @Test func theSettingIsCheckedAndSentOn() throws {
        var settings = RunSettings()
        try CommandLineSettings.apply(["--set", "training.update_precision=bfloat16"], table: RunSettings.table, to: &settings)
        #expect(settings.hyperparameters(round: 1).updatePrecision == "bfloat16")
        try settings.validate()
        settings.secureAggregation = true
        #expect {
            try settings.validate()
        } throws: { error in
            "\(error)".contains("training.update_precision") && "\(error)".contains("secure aggregation")
        }
        #expect {
            try CommandLineSettings.apply(["--set", "training.update_precision=float16"], table: RunSettings.table, to: &settings)
        } throws: { error in
            "\(error)".contains("float32") && "\(error)".contains("bfloat16")
        }
    }
}
