import Foundation
import Testing
import TesseraNN
import TesseraWire
@testable import TesseraScheduler

/// The local learning rate over the rounds, as each round's train tasks carry it, and the
/// local-training settings that do not fit together.
@Suite("Learning-rate schedules")
struct LearningRateScheduleTests {
    @Test func eachScheduleGivesEachRoundItsRate() throws {
        var settings = RunSettings()
        settings.learningRate = 0.1
        settings.rounds = 5
        #expect((1...5).map { settings.learningRate(round: $0) } == [0.1, 0.1, 0.1, 0.1, 0.1])

        settings.learningRateSchedule = .step
        settings.learningRateStepRounds = 2
        settings.learningRateGamma = 0.5
        #expect((1...5).map { settings.learningRate(round: $0) } == [0.1, 0.1, 0.05, 0.05, 0.025])

        settings.learningRateSchedule = .cosine
        settings.learningRateMinimum = 0.02
        let cosine = (1...5).map { settings.learningRate(round: $0) }
        #expect(abs(cosine[0] - 0.1) < 1e-12 && abs(cosine[4] - 0.02) < 1e-12 && abs(cosine[2] - 0.06) < 1e-12, "\(cosine)")
        #expect(zip(cosine, cosine.dropFirst()).allSatisfy { $0 > $1 })
        // Past the last round (a resumed run given more rounds) it stays at the minimum.
        #expect(abs(settings.learningRate(round: 9) - 0.02) < 1e-12)
        // What the round's train tasks carry.
        let round3 = settings.hyperparameters(round: 3)
        #expect(abs(round3.learningRate - 0.06) < 1e-7 && round3.optimizer == "sgd")
    }

    @Test func theOptimizerSettingsReachTheTrainTask() throws {
        var settings = RunSettings()
        settings.optimizer = .adamw
        settings.weightDecay = 0.01
        settings.gradientClip = 2
        let json = String(decoding: try JSONEncoder().encode(settings.hyperparameters(round: 1)), as: UTF8.self)
        let decoded = try JSONDecoder().decode(Hyperparameters.self, from: Data(json.utf8))
        #expect(decoded.optimizer == "adamw" && decoded.weightDecay == 0.01 && decoded.gradientClip == 2 && decoded.momentum == 0)
        // A task from an older scheduler (no optimizer keys) means plain SGD.
        let old = try JSONDecoder().decode(Hyperparameters.self, from: Data(#"{"epochs": 1, "batchSize": 8, "learningRate": 0.1}"#.utf8))
        #expect(old.optimizer == "sgd" && old.momentum == 0 && old.weightDecay == 0 && old.gradientClip == 0)
    }

    @Test func settingsThatDoNotFitAreRefusedByKey() {
        var settings = RunSettings()
        settings.optimizer = .adam
        settings.momentum = 0.9
        #expect { try settings.validate() } throws: { "\($0)".contains("training.momentum") && "\($0)".contains("unless training.optimizer is sgd") }
        settings = RunSettings()
        settings.learningRateSchedule = .cosine
        settings.learningRateMinimum = 1
        #expect { try settings.validate() } throws: { "\($0)".contains("training.lr_min") }
    }

    /// FedBN needs batch normalization to keep, and noise must not land on shared running variances.
    @Test func fedBNSettingsThatDoNotFitAreRefused() throws {
        var settings = RunSettings()
        settings.localNormalization = .all
        #expect { try settings.validate() } throws: { "\($0)".contains("training.fedbn: is all, which needs a model with batchnorm layers") }
        settings.model = ModelSpec(name: "bn", inputShape: [1, 28, 28], layers: [.batchNorm(channels: 1), .flatten, .linear(inputs: 784, outputs: 10)])
        try settings.validate()
        #expect(settings.clientConfiguration(index: 0).localNormalization == .all)
        settings.clip = 1
        settings.noiseMultiplier = 1
        settings.localNormalization = .affine
        #expect { try settings.validate() } throws: { "\($0)".contains("must be statistics or all when privacy adds noise") }
        settings.localNormalization = .statistics
        try settings.validate()
    }
}
