import TesseraTensor
import TesseraWire
import TesseraWorker

extension Tutorial {
    /// Part 8, "Introduction to plans": a small network's forward pass as a plan — a list of
    /// ops sent once as a single message and run on the worker — applied to two batches.
    public static func part8(bob: RemoteWorker, say: Narrator = { _ in }) async throws -> [Tensor] {
        let w1 = try await Tensor.normal([4, 8], standardDeviation: 0.5, seed: 1).send(to: bob)
        let w2 = try await Tensor.normal([8, 2], standardDeviation: 0.5, seed: 2).send(to: bob)
        var outputs: [Tensor] = []
        for seed in [UInt64(10), 11] {
            let batch = try await Tensor.normal([3, 4], seed: seed).send(to: bob)
            let (hidden, activated, logits, probabilities) = (bob.makeID(), bob.makeID(), bob.makeID(), bob.makeID())
            let plan = [
                PlanStep(op: .matmul, inputs: [batch.id, w1.id], output: hidden),
                PlanStep(op: .relu, inputs: [hidden], output: activated),
                PlanStep(op: .matmul, inputs: [activated, w2.id], output: logits),
                PlanStep(op: .softmax(axis: -1), inputs: [logits], output: probabilities),
            ]
            try await bob.run(plan)
            say("ran a 4-op plan on \(bob.name) in one message")
            outputs.append(try await bob.fetch(probabilities))
            try await bob.free([hidden, activated, logits, probabilities])
        }
        return outputs
    }
}
