import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 4, "Federated learning with model averaging": Bob and Alice each train their own
    /// copy of a model on private data; both copies move to a trusted aggregator, which averages
    /// them; only the average comes back. Returns (bob's model, alice's model, the average).
    public static func part4(bob: RemoteWorker, alice: RemoteWorker, aggregator: RemoteWorker,
                             say: Narrator = { _ in }) async throws -> (Tensor, Tensor, Tensor) {
        var models: [RemoteTensor] = []
        var locals: [Tensor] = []
        for (worker, target) in [(bob, Float(1)), (alice, Float(3))] {
            // Each worker fits w to its own constant target by a few gradient steps.
            let targetPointer = try await Tensor([target, target]).send(to: worker)
            var w = try Tensor.zeros([2])
            for _ in 0..<20 {
                let remote = try await w.send(to: worker)
                try await remote.requireGrad()
                let difference = try await remote.subtracting(targetPointer)
                let loss = try await difference.multiplying(difference).sum()
                try await loss.backward()
                try w.add(try await remote.grad().get(), scaledBy: -0.25)
            }
            locals.append(w)
            models.append(try await w.send(to: worker))
            say("\(worker.name) trained its model privately")
        }
        let atAggregator = try await models.asyncMap { try await $0.move(to: aggregator) }
        let half = try await Tensor(0.5).send(to: aggregator)
        let average = try await atAggregator[0].adding(atAggregator[1]).multiplying(half)
        say("\(aggregator.name) averaged the two models")
        return (locals[0], locals[1], try await average.get())
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
