import Foundation

// Softmax, log-softmax and cross-entropy from logits.

extension Tensor {
    /// Softmax along `axis` (default: the last).
    ///
    /// - Throws: ``TensorError`` for an axis out of range.
    public func softmax(alongAxis axis: Int = -1) throws -> Tensor {
        let axis = try Shape.normalize(axis: axis, rank: rank, operation: "softmax")
        let (outer, length, inner) = Shape.split(shape, at: axis)
        let result = Tensor(shape: shape, storage: Softmax.forward(storage, outer: outer, length: length, inner: inner, logarithm: false))
        let value = result
        return Self.recorded(result, inputs: [self]) { gradient in
            // dx = y * (g - sum(g * y))
            let weighted = try gradient.multiplying(value)
            return [try weighted.subtracting(value.multiplying(weighted.sum(alongAxes: [axis], keepingDimensions: true)))]
        }
    }

    /// Log-softmax along `axis` (default: the last), computed stably.
    ///
    /// - Throws: ``TensorError`` for an axis out of range.
    public func logSoftmax(alongAxis axis: Int = -1) throws -> Tensor {
        let axis = try Shape.normalize(axis: axis, rank: rank, operation: "logSoftmax")
        let (outer, length, inner) = Shape.split(shape, at: axis)
        let result = Tensor(shape: shape, storage: Softmax.forward(storage, outer: outer, length: length, inner: inner, logarithm: true))
        let value = result
        return Self.recorded(result, inputs: [self]) { gradient in
            // dx = g - softmax * sum(g)
            [try gradient.subtracting(value.exp().multiplying(gradient.sum(alongAxes: [axis], keepingDimensions: true)))]
        }
    }

    /// Mean cross-entropy of these N × C logits against `labels`, N class indices stored as
    /// whole floats. Returns a scalar.
    ///
    /// - Throws: ``TensorError`` when logits are not N × C, labels are not N long, or a label
    ///   is not a whole number in `0..<C`.
    public func crossEntropy(labels: Tensor) throws -> Tensor {
        guard rank == 2, labels.shape == [shape[0]] else {
            throw TensorError.shapeMismatch("crossEntropy", shape, labels.shape, "expected N x C logits and N labels")
        }
        let (batch, classes) = (shape[0], shape[1])
        var classIndices = [Int](repeating: 0, count: batch)
        for (row, label) in labels.storage.enumerated() {
            guard label >= 0, label < Float(classes), label == label.rounded() else {
                throw TensorError.invalidArgument("crossEntropy", "label \(label) at row \(row) is not a class index in 0..<\(classes)")
            }
            classIndices[row] = Int(label)
        }
        let logProbabilities = Softmax.forward(storage, outer: batch, length: classes, inner: 1, logarithm: true)
        var total: Float = 0
        for row in 0..<batch { total -= logProbabilities[row * classes + classIndices[row]] }
        let result = Tensor(shape: [], storage: [batch > 0 ? total / Float(batch) : .nan])
        let targets = classIndices
        return Self.recorded(result, inputs: [self, labels]) { gradient in
            // (softmax - onehot) / N * g
            let scale = gradient.storage[0] / Float(batch)
            var values = logProbabilities
            for index in values.indices { values[index] = Foundation.exp(values[index]) * scale }
            for row in 0..<batch { values[row * classes + targets[row]] -= scale }
            return [Tensor(shape: [batch, classes], storage: values), nil]
        }
    }
}
