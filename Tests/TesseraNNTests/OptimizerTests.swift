import Testing
import TesseraNN
import TesseraTensor

@Suite("Optimizers")
struct OptimizerTests {
    func set(_ values: [Float]) throws -> ParameterSet {
        try ParameterSet([(name: "w", tensor: Tensor(values))])
    }

    /// Runs `steps` updates with a constant gradient and returns the parameter values.
    func run(_ optimizer: inout some Optimizer, from start: [Float], gradient: [Float], steps: Int) throws -> [Float] {
        var parameters = try set(start)
        for _ in 0..<steps { try optimizer.step(&parameters, gradients: try set(gradient)) }
        return parameters["w"]!.scalars
    }

    @Test func plainSGD() throws {
        var sgd = try SGD(learningRate: 0.1)
        let result = try run(&sgd, from: [1, 2], gradient: [1, -1], steps: 2)
        #expect(abs(result[0] - 0.8) < 1e-6 && abs(result[1] - 2.2) < 1e-6)
    }

    @Test func momentumAndWeightDecayFollowPyTorch() throws {
        // PyTorch: g = grad + wd*p; v = mu*v + g (v0 = g); p -= lr*v
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.5)
        let result = try run(&sgd, from: [1], gradient: [1], steps: 2)
        // step 1: g = 1.5, v = 1.5, p = 0.85; step 2: g = 1.425, v = 2.775, p = 0.5725
        #expect(abs(result[0] - 0.5725) < 1e-6)
    }

    @Test func nesterov() throws {
        var sgd = try SGD(learningRate: 0.1, momentum: 0.5, nesterov: true)
        // step 1: v = 1, d = 1 + 0.5 = 1.5, p = 0.85; step 2: v = 1.5, d = 1.75, p = 0.675
        let result = try run(&sgd, from: [1], gradient: [1], steps: 2)
        #expect(abs(result[0] - 0.675) < 1e-6)
    }

    @Test func adamFirstStepMovesByTheLearningRate() throws {
        var adam = try Adam(learningRate: 0.01)
        let result = try run(&adam, from: [1, -1], gradient: [3, -0.5], steps: 1)
        // Bias-corrected first step: m̂/√v̂ = sign(g).
        #expect(abs(result[0] - 0.99) < 1e-6 && abs(result[1] + 0.99) < 1e-6)
    }

    @Test func stateRestoresToContinueExactly() throws {
        for make in [{ try SGD(learningRate: 0.1, momentum: 0.9) as any Optimizer }, { try Adam(learningRate: 0.01) as any Optimizer }] {
            var continuous = try make()
            var parameters = try set([1, 2, 3])
            let gradient = try set([0.5, -1, 2])
            for _ in 0..<3 { try continuous.step(&parameters, gradients: gradient) }
            var resumed = try make()
            var copy = parameters
            try resumed.restore(continuous.state)
            try continuous.step(&parameters, gradients: gradient)
            try resumed.step(&copy, gradients: gradient)
            #expect(parameters == copy)
            #expect(resumed.state == continuous.state)
        }
    }

    @Test func stateOfAnotherOptimizerIsRejected() throws {
        var adam = try Adam()
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        var parameters = try set([1])
        try sgd.step(&parameters, gradients: try set([1]))
        #expect(throws: NNError.self) { try adam.restore(sgd.state) }
        #expect(throws: NNError.self) { try SGD(learningRate: -1) }
    }

    @Test func mismatchedGradientsAreRejected() throws {
        var sgd = try SGD(learningRate: 0.1)
        var parameters = try set([1, 2])
        #expect(throws: NNError.self) { try sgd.step(&parameters, gradients: try set([1])) }
    }
}
