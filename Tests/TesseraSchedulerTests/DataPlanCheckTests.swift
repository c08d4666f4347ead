import Testing
import TesseraData
import TesseraNN
@testable import TesseraScheduler

/// A model that does not take the run's data is refused before any worker starts, with what to
/// declare or which generated data fits it.
@Suite("A model against its data")
struct DataPlanCheckTests {
    @Test func aModelForOtherDataIsToldWhatFits() throws {
        let digits = try SyntheticDigits.make(seed: 1, trainCount: 20, testCount: 0).train
        #expect { try DataPlan.check(ModelSpec.named("resnet20-gn"), takes: digits, from: .synthetic) } throws: {
            "\($0)".contains("takes samples of [3, 32, 32], but the data (synthetic digits) has samples of [1, 28, 28]: declare input: [1, 28, 28] or use data of its shape (data.source: synthetic-images)")
        }
        #expect { try DataPlan.check(ModelSpec.named("shakespeare-lstm"), takes: digits, from: .synthetic) } throws: {
            "\($0)".contains("(data.source: synthetic-text)")
        }
        let text = try SyntheticText.make(seed: 1, trainCount: 20, testCount: 0).train
        try DataPlan.check(ModelSpec.named("shakespeare-lstm"), takes: text, from: .syntheticText)
        #expect { try DataPlan.check(ModelSpec.named("mnist-cnn"), takes: text, from: .syntheticText) } throws: {
            "\($0)".contains("declare input: [80] or use data of its shape (data.source: synthetic)")
        }
    }
}
