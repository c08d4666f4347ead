import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 12, "Encrypted deep learning", for inference: a small classifier (logistic regression
    /// on two clusters of points) trained in the clear by its owner is secret-shared between Alice
    /// and Bob, and so are the points to classify; the logits are computed on the shares (a
    /// matrix product by a Beaver triple from the crypto provider, plus the shared bias) and only
    /// they are reconstructed, by the points' owner. Neither Alice nor Bob sees the model, the
    /// points or the logits. Returns the classes found on the shares and those the plain model gives.
    public static func part12(alice: RemoteWorker, bob: RemoteWorker, cryptoProvider: RemoteWorker,
                              say: Narrator = { _ in }) async throws -> (encrypted: [Int], plain: [Int]) {
        let (train, labels) = try clusters(count: 40, seed: 12)
        var weight = try Tensor.zeros([2, 2]), bias = try Tensor.zeros([2])
        for _ in 0..<50 {
            let (w, b) = (weight.requiringGrad(), bias.requiringGrad())
            let loss = try (train.matmul(w) + b).crossEntropy(labels: labels)
            try loss.backward()
            guard let dw = w.grad, let db = b.grad else { break }
            (weight, bias) = (try weight - dw * 0.5, try bias - db * 0.5)
        }
        say("the model's owner trained a classifier in the clear")

        let (points, _) = try clusters(count: 10, seed: 99)
        let parties = [alice, bob]
        let sharedWeight = try await weight.share(among: parties, cryptoProvider: cryptoProvider)
        // The bias repeated for each point: shared tensors add shape for shape.
        let sharedBias = try await (Tensor.zeros([points.shape[0], 2]) + bias).share(among: parties, cryptoProvider: cryptoProvider)
        let sharedPoints = try await points.share(among: parties, cryptoProvider: cryptoProvider)
        say("the model and the points are secret-shared between alice and bob")
        let logits = try await sharedPoints.matmul(sharedWeight).adding(sharedBias).reconstruct()
        say("alice and bob computed the logits on their shares; only the points' owner sees them")
        return (classes(logits), classes(try points.matmul(weight) + bias))
    }

    /// `count` points in two clusters around (−1.5, −1) and (1.5, 1), alternating, with their
    /// classes as a float tensor.
    static func clusters(count: Int, seed: UInt64) throws -> (points: Tensor, labels: Tensor) {
        let noise = try Tensor.normal([count, 2], standardDeviation: 0.7, seed: seed).scalars
        let values = (0..<count).flatMap { index -> [Float] in
            let sign: Float = index % 2 == 0 ? -1 : 1
            return [sign * 1.5 + noise[2 * index], sign + noise[2 * index + 1]]
        }
        return (try Tensor(values, shape: [count, 2]), try Tensor((0..<count).map { Float($0 % 2) }, shape: [count]))
    }

    /// The larger of each row's two logits.
    static func classes(_ logits: Tensor) -> [Int] {
        stride(from: 0, to: logits.count, by: 2).map { logits.scalars[$0 + 1] > logits.scalars[$0] ? 1 : 0 }
    }
}
