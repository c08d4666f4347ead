import Foundation
import Testing
import TesseraTensor
@testable import TesseraNN

/// The local optimizers against PyTorch 2.13: six steps of SGD (momentum, Nesterov, weight
/// decay), Adam and AdamW, with and without gradient clipping by norm, from the same gradients,
/// agree to 1e-5 of the largest weight (Fixtures/optimizers.json, scripts/optimizer_fixtures.py).
@Suite("Optimizers against PyTorch")
struct OptimizerFixtureTests {
    struct Options: Decodable, Sendable {
        let lr: Float
        let momentum: Float?
        let weightDecay: Float?
        let nesterov: Bool?
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let optimizer: String
        let options: Options
        let clip: Float
        let steps: [[Float]]

        var testDescription: String {
            "\(optimizer) lr \(options.lr) momentum \(options.momentum ?? 0)\(options.nesterov == true ? " nesterov" : "") decay \(options.weightDecay ?? 0) clip \(clip)"
        }
    }

    struct File: Decodable, Sendable {
        let initial: [Float]
        let gradients: [[Float]]
        let cases: [Case]
    }

    static let file: File? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/optimizers.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(File.self, from: Data(contentsOf: url))
    }()

    @Test func theFixturesAreThere() {
        #expect((Self.file?.cases.count ?? 0) >= 7)
    }

    @Test(arguments: file?.cases ?? [])
    func stepsAgreeWithPyTorch(_ fixture: Case) throws {
        let file = try #require(Self.file)
        var optimizer: OptimizerChoice
        if fixture.options.nesterov == true {
            optimizer = .sgd(try SGD(learningRate: fixture.options.lr, momentum: fixture.options.momentum ?? 0, nesterov: true))
        } else {
            optimizer = try OptimizerChoice(named: fixture.optimizer, learningRate: fixture.options.lr, momentum: fixture.options.momentum ?? 0,
                                            weightDecay: fixture.options.weightDecay ?? 0)
        }
        var parameters = try ParameterSet([(name: "w", tensor: Tensor(file.initial))])
        for (step, (gradient, expected)) in zip(file.gradients, fixture.steps).enumerated() {
            var gradients = try ParameterSet([(name: "w", tensor: Tensor(gradient))])
            if fixture.clip > 0 { gradients = gradients.clipped(toNorm: Double(fixture.clip)).parameters }
            try optimizer.step(&parameters, gradients: gradients)
            let actual = try #require(parameters["w"]).scalars
            let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(error <= 1e-5 * (expected.map(abs).max() ?? 1), "step \(step + 1): \(actual) against PyTorch's \(expected)")
        }
    }

    @Test func anUnknownOptimizerNamesTheNearest() {
        #expect { try OptimizerChoice(named: "adamm", learningRate: 0.1) } throws: { "\($0)".contains("did you mean 'adam'") }
        #expect { try OptimizerChoice(named: "adam", learningRate: 0.1, momentum: 0.9) } throws: { "\($0)".contains("momentum is for sgd") }
        #expect { try OptimizerChoice(named: "sgd", learningRate: 0.1, momentum: 1) } throws: { "\($0)".contains("outside [0, 1)") }
    }
}
