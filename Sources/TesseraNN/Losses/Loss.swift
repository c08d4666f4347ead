import TesseraTensor

/// Loss functions; each returns a scalar tensor that can be back-propagated.
public enum Loss {
    /// Mean cross-entropy of N × C `logits` against N class indices (`labels`, whole floats).
    ///
    /// - Throws: ``/TesseraTensor/TensorError`` for mismatched shapes or labels outside `0..<C`.
    public static func crossEntropy(logits: Tensor, labels: Tensor) throws -> Tensor {
        try logits.crossEntropy(labels: labels)
    }

    /// Mean squared error, `mean((predictions - targets)²)`, over all elements.
    ///
    /// - Throws: ``NNError`` when the shapes differ (no broadcasting: a silent broadcast here
    ///   is almost always a bug).
    public static func meanSquaredError(predictions: Tensor, targets: Tensor) throws -> Tensor {
        guard predictions.shape == targets.shape else {
            throw NNError(.invalidArgument, "meanSquaredError: predictions \(predictions.shape) and targets \(targets.shape) differ")
        }
        let difference = try predictions - targets
        return try (difference * difference).mean()
    }
}
