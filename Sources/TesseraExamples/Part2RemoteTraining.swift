import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 2, "Intro to federated learning": a linear model trained where the data lives.
    /// Bob and Alice each hold half of a toy dataset (y = 2·x₀ − x₁ + 1) that never leaves them;
    /// every step sends the weights to each worker, computes the loss and its gradient there
    /// (remote autograd), brings only the gradient back, and updates the model locally.
    /// Returns the final weights [w₀, w₁, b].
    public static func part2(bob: RemoteWorker, alice: RemoteWorker, steps: Int = 40, say: Narrator = { _ in }) async throws -> [Float] {
        func data(seed: UInt64) throws -> (Tensor, Tensor) {
            let inputs = try Tensor.uniform([16, 2], low: -1, high: 1, seed: seed)
            let v = inputs.scalars
            let targets = try Tensor((0..<16).map { 2 * v[2 * $0] - v[2 * $0 + 1] + 1 }, shape: [16, 1])
            return (inputs, targets)
        }
        var remoteData: [(worker: RemoteWorker, inputs: RemoteTensor, targets: RemoteTensor)] = []
        for (worker, seed) in [(bob, UInt64(1)), (alice, UInt64(2))] {
            let (inputs, targets) = try data(seed: seed)
            remoteData.append((worker, try await inputs.send(to: worker), try await targets.send(to: worker)))
        }
        say("the data is on \(bob.name) and \(alice.name); only the model and its gradients travel")
        var weights = try Tensor.zeros([2, 1]), bias = try Tensor.zeros([1])
        let rate: Float = 0.2
        for step in 0..<steps {
            var loss: Float = 0
            for (worker, inputs, targets) in remoteData {
                let w = try await weights.send(to: worker), b = try await bias.send(to: worker)
                try await w.requireGrad()
                try await b.requireGrad()
                let error = try await inputs.matmul(w).adding(b).subtracting(targets)
                let squared = try await error.multiplying(error).apply(.mean(axes: nil, keepDimensions: false))
                try await squared.backward()
                loss += try await squared.get().scalar ?? .nan
                let gradientW = try await w.grad().get(), gradientB = try await b.grad().get()
                try weights.add(gradientW, scaledBy: -rate / Float(remoteData.count))
                try bias.add(gradientB, scaledBy: -rate / Float(remoteData.count))
            }
            if step % 10 == 0 || step == steps - 1 { say("step \(step): mean loss \(loss / Float(remoteData.count))") }
        }
        return weights.scalars + bias.scalars
    }
}
