import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 4, "Federated learning with model averaging": Bob and Alice each train their own
    /// copy of a model where their data is, with remote autograd (the model never leaves
    /// them); both copies move from the workers straight to a trusted aggregator, which
    /// averages them; only the average comes back to this client, which never holds either
    /// worker's model. Returns the average.
    public static func part4(bob: RemoteWorker, alice: RemoteWorker, aggregator: RemoteWorker,
                             say: Narrator = { _ in }) async throws -> Tensor {
        var models: [RemoteTensor] = []
        for (worker, target) in [(bob, Float(1)), (alice, Float(3))] {
            // Each worker fits w to its own constant target by a few gradient steps, all on it.
            models.append(try await trainPrivately(on: worker, towards: target))
            say("\(worker.name) trained its model privately")
        }
        let atAggregator = try await models.asyncMap { try await $0.move(to: aggregator) }
        let half = try await Tensor(0.5).send(to: aggregator)
        let average = try await atAggregator[0].adding(atAggregator[1]).multiplying(half)
        say("\(aggregator.name) averaged the two models; only the average comes back")
        return try await average.get()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
