import Foundation
import Testing
import TesseraNN
@testable import TesseraScheduler
import TesseraTensor
import TesseraWire
import TesseraWorker

@Suite("Federated averaging and round settings")
struct FederatedAveragingTests {
    func update(_ values: [Float], samples: UInt64, delta: Bool = false) -> TrainUpdate {
        TrainUpdate(round: 1, modelVersion: 0, sampleCount: samples, isDelta: delta, metrics: [:],
                    weights: [NamedTensor(name: "w", tensor: Tensor(values))])
    }

    func validated(_ worker: String, _ values: [Float], samples: UInt64, delta: Bool = false,
                   global: ParameterSet) throws -> ValidatedUpdate {
        try ValidatedUpdate(update(values, samples: samples, delta: delta), from: worker, global: global)
    }

    @Test func weightsBySampleCount() throws {
        let global = try ParameterSet([(name: "w", tensor: Tensor([0, 0]))])
        let average = try FederatedAveraging.aggregate([try validated("a", [1, 2], samples: 100, global: global),
                                                        try validated("b", [3, 6], samples: 300, global: global)])
        #expect(average["w"]?.scalars == [2.5, 5])
        let base = try ParameterSet([(name: "w", tensor: Tensor([2, 3]))])
        let withDelta = try FederatedAveraging.aggregate([try validated("a", [1, 1], samples: 1, delta: true, global: base)])
        #expect(withDelta["w"]?.scalars == [3, 4])
    }

    @Test func orderOfArrivalDoesNotChangeTheBits() throws {
        let global = try ParameterSet([(name: "w", tensor: Tensor.zeros([64]))])
        var updates: [ValidatedUpdate] = []
        for index in 0..<7 {
            updates.append(try validated("worker-\(index)", try Tensor.normal([64], seed: UInt64(index)).scalars,
                                         samples: UInt64(100 + index * 13), global: global))
        }
        let first = try FederatedAveraging.aggregate(updates)
        #expect(try FederatedAveraging.aggregate(updates.reversed()) == first)
    }

    @Test func unusableUpdatesAreRejectedOnArrival() throws {
        let global = try ParameterSet([(name: "w", tensor: Tensor([0, 0]))])
        #expect(throws: SchedulerError.self) { try validated("a", [1, 2, 3], samples: 1, global: global) }
        #expect(throws: SchedulerError.self) { try validated("a", [1, 2], samples: 0, global: global) }
        #expect(throws: SchedulerError.self) { try validated("a", [1, .nan], samples: 1, global: global) }
        #expect(throws: SchedulerError.nothingToAggregate) { try FederatedAveraging.aggregate([]) }
        for bad: Float in [.infinity, -.infinity, .nan] {
            #expect(throws: SchedulerError.self) { try validated("a", [1, bad], samples: 1, delta: true, global: global) }
        }
        // A finite change that overflows once the model is added back.
        let large = try ParameterSet([(name: "w", tensor: Tensor([.greatestFiniteMagnitude, 0]))])
        #expect(throws: SchedulerError.self) {
            try validated("a", [.greatestFiniteMagnitude, 0], samples: 1, delta: true, global: large)
        }
    }

    /// The change `training.max_change_ratio` judges is measured once: on arrival (the norm of
    /// a delta as sent, or of a whole model's distance from the global one), or, left for the
    /// round, when it is averaged; a delta left so is kept as it came.
    @Test func theChangeIsMeasuredOnArrival() throws {
        let global = try ParameterSet([(name: "w", tensor: Tensor([1, 1]))])
        let whole = try validated("a", [4, 5], samples: 1, global: global)
        #expect(whole.changeNorm == 5)
        let delta = try validated("b", [3, 4], samples: 1, delta: true, global: global)
        #expect(delta.changeNorm == 5)
        #expect(try delta.parameters["w"]?.scalars == [4, 5])
        let unchecked = ValidatedUpdate(workerID: "c", parameters: try whole.parameters, sampleCount: 1)
        #expect(unchecked.changeNorm == nil)
        #expect(try unchecked.changeNorm(from: global) == 5)
        // Left for the round to measure: not measured, not refused, on arrival.
        let later = try ValidatedUpdate(update([4, .nan], samples: 1), from: "d", global: global, measuringChange: false)
        #expect(later.changeNorm == nil)
        let kept = try ValidatedUpdate(update([3, 4], samples: 1, delta: true), from: "e", global: global, measuringChange: false)
        #expect(kept.changeNorm == nil)
        #expect(try kept.changeNorm(from: global) == 5)
        #expect(try kept.parameters["w"]?.scalars == [4, 5])
        guard case .change = kept.content else { Issue.record("the delta was not kept as it came"); return }
    }

    /// Changes kept as they came (bfloat16, averaged over their base where read) beside a
    /// model average to what their models make when added up first, bit for bit.
    @Test func changesAverageToWhatTheirModelsMake() throws {
        let global = try ParameterSet([(name: "w", tensor: try Tensor.normal([301], seed: 7))])
        func change(_ seed: UInt64) throws -> TrainUpdate {
            TrainUpdate(round: 1, modelVersion: 0, sampleCount: 10 + seed, isDelta: true, metrics: [:],
                        weights: [NamedTensor(name: "w", tensor: (try Tensor.normal([301], seed: seed) * 0.01).roundedToBFloat16())])
        }
        let kept = try (1...3).map { try ValidatedUpdate(change($0), from: "c\($0)", global: global, measuringChange: false) }
        let model = try validated("m", try Tensor.normal([301], seed: 9).scalars, samples: 5, global: global)
        let updates = kept + [model]
        let models = try updates.map { ValidatedUpdate(workerID: $0.workerID, parameters: try $0.parameters, sampleCount: $0.sampleCount) }
        let average = try FederatedAveraging.aggregate(updates), expected = try FederatedAveraging.aggregate(models)
        #expect(average.flattened().map(\.bitPattern) == expected.flattened().map(\.bitPattern))
    }

    /// The round's one pass gives the average and the norms the two passes give, bit for bit,
    /// the norms in the order the updates came in: alone, in pairs, and with one left over.
    @Test(arguments: [1, 2, 4, 5])
    func averagingWhileMeasuringMatchesDoingEachApart(count: Int) throws {
        let global = try ParameterSet([(name: "w", tensor: try Tensor.normal([300], seed: 99)),
                                       (name: "b", tensor: try Tensor.normal([7], seed: 98))])
        var updates: [ValidatedUpdate] = []
        for index in (0..<count).reversed() {
            let weight = try Tensor.normal([300], seed: UInt64(index))
            let bias = try Tensor.normal([7], seed: UInt64(index + 10))
            let parameters = try ParameterSet([(name: "w", tensor: weight), (name: "b", tensor: bias)])
            updates.append(ValidatedUpdate(workerID: "worker-\(index)", parameters: parameters, sampleCount: UInt64(10 + 7 * index)))
        }
        let (average, norms) = try FederatedAveraging.aggregate(updates, measuringChangesFrom: global)
        #expect(average == (try FederatedAveraging.aggregate(updates)))
        #expect(norms == (try updates.map { try $0.changeNorm(from: global) }))
        #expect(throws: SchedulerError.nothingToAggregate) { try FederatedAveraging.aggregate([], measuringChangesFrom: global) }
        let other = try ParameterSet([(name: "w", tensor: Tensor([1]))])
        #expect(throws: NNError.self) { try FederatedAveraging.aggregate(updates, measuringChangesFrom: other) }
    }

    @Test func settingsThatDoNotFitTogetherAreRejected() throws {
        func settings(quorum: Int = 1, minimum: Int = 1) -> RunSettings {
            var settings = RunSettings()
            settings.workers = 3
            settings.quorum = quorum
            settings.minimumWorkers = minimum
            return settings
        }
        #expect(throws: SettingError(key: "training.quorum", value: "4", message: "must be at most workers.count (3)")) {
            try settings(quorum: 4).validate()
        }
        #expect(throws: SettingError.self) { try settings(minimum: 5).validate() }
        #expect(throws: Never.self) { try settings().validate() }
    }
}

@Suite("Federated evaluation summary")
struct FederatedEvaluationTests {
    @Test func workersCountBySampleCount() throws {
        let summary = try #require(FederatedEvaluation([
            EvaluationResult(round: 1, sampleCount: 100, correctCount: 90, loss: 0.3),
            EvaluationResult(round: 1, sampleCount: 300, correctCount: 210, loss: 0.7),
        ]))
        #expect(summary.workers == 2 && summary.samples == 400)
        #expect(summary.accuracy == 0.75)
        #expect(abs(summary.loss - 0.6) < 1e-12)
        #expect(summary.minimumAccuracy == 0.7 && summary.maximumAccuracy == 0.9)
        #expect(summary.summary == "federated 75.00% (70.0-90.0% on 2 workers)")
        #expect(FederatedEvaluation([]) == nil)
    }

    @Test func impossibleResultsDoNotCount() {
        let good = EvaluationResult(round: 2, sampleCount: 10, correctCount: 9, loss: 0.1)
        #expect(FederatedEvaluation.isUsable(good, round: 2))
        #expect(!FederatedEvaluation.isUsable(good, round: 3))
        for bad in [
            EvaluationResult(round: 2, sampleCount: 0, correctCount: 0, loss: 0.1),
            EvaluationResult(round: 2, sampleCount: 10, correctCount: 9, loss: .nan),
            EvaluationResult(round: 2, sampleCount: 10, correctCount: 9, loss: -1),
            EvaluationResult(round: 2, sampleCount: 10, correctCount: 9, loss: .infinity),
        ] {
            #expect(!FederatedEvaluation.isUsable(bad, round: 2), "\(bad)")
        }
    }
}
