import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 10, "Federated learning with encrypted gradient aggregation": Bob and Alice each
    /// train their own copy of a model where their data is (as in Part 4), but instead of a
    /// trusted aggregator, each secret-shares its model among the two of them, with a crypto
    /// provider standing by; the shares are added where they are, and only the sum is
    /// reconstructed. Nobody, this client included, ever holds either model. Returns the average.
    public static func part10(bob: RemoteWorker, alice: RemoteWorker, cryptoProvider: RemoteWorker,
                              say: Narrator = { _ in }) async throws -> Tensor {
        var shared: [SharedTensor] = []
        for (worker, target) in [(bob, Float(1)), (alice, Float(3))] {
            let model = try await trainPrivately(on: worker, towards: target)
            // The worker encodes its model, keeps one share and sends the other to the other party.
            shared.append(try await model.share(among: [bob, alice], cryptoProvider: cryptoProvider))
            say("\(worker.name) trained its model and secret-shared it between bob and alice")
        }
        let sum = try await shared[0].adding(shared[1])
        say("bob and alice added their shares; only the sum is reconstructed")
        return try await sum.reconstruct() * 0.5
    }

    /// A model fitted on `worker` to its own constant target by gradient steps, all on it (the
    /// model of Parts 4 and 10).
    static func trainPrivately(on worker: RemoteWorker, towards target: Float) async throws -> RemoteTensor {
        let data = try await Tensor([target, target]).send(to: worker)
        let rate = try await Tensor(0.25).send(to: worker)
        var w = try await Tensor.zeros([2]).send(to: worker)
        for _ in 0..<20 {
            try await w.requireGrad()
            let difference = try await w.subtracting(data)
            let loss = try await difference.multiplying(difference).sum()
            try await loss.backward()
            w = try await w.subtracting(try await w.grad().multiplying(rate))
        }
        return w
    }
}
