import TesseraTensor

/// Loss and accuracy of a model over a dataset.
public struct Evaluation: Sendable, Equatable {
    /// Mean cross-entropy per sample.
    public var loss: Double
    /// Fraction of samples whose highest score is the label.
    public var accuracy: Double
    /// Number of samples evaluated.
    public var count: Int
    /// Figures of a program's own evaluation beside these (a scheduler's evaluation hook).
    public var metrics: [String: Double]

    /// An evaluation with the given figures.
    public init(loss: Double, accuracy: Double, count: Int, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
        self.metrics = metrics
    }
}

extension Model {
    /// Evaluates on `batches` of (inputs, labels), in evaluation mode (batch normalization with
    /// each batch's statistics when `batchStatistics`).
    ///
    /// - Throws: ``NNError`` or ``/TesseraTensor/TensorError`` when a batch does not fit the model.
    public func evaluate<Batches: Sequence>(_ batches: Batches, batchStatistics: Bool = false) throws -> Evaluation
    where Batches.Element == (inputs: Tensor, labels: Tensor) {
        var totalLoss = 0.0, correct = 0, count = 0
        for (inputs, labels) in batches {
            let logits = try predict(inputs, batchStatistics: batchStatistics)
            let batch = labels.count
            totalLoss += Double(try logits.crossEntropy(labels: labels).scalar ?? .nan) * Double(batch)
            let predicted = try logits.argmax(alongAxis: 1).scalars
            correct += zip(predicted, labels.scalars).filter { $0 == $1 }.count
            count += batch
        }
        return Evaluation(loss: count > 0 ? totalLoss / Double(count) : .nan,
                          accuracy: count > 0 ? Double(correct) / Double(count) : .nan, count: count)
    }
}
