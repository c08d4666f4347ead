// Layer kernels for sequences: embedding lookups and LSTM layers. Like the normalization
// kernels they are not ops of the wire's op set (`Op`).

extension Tensor {
    /// The rows of this `[vocabulary, dimension]` table at `indices` (whole numbers stored as
    /// floats, any shape): an embedding lookup, shaped `indices.shape + [dimension]`. Its
    /// gradient adds each output row's gradient into the row it came from; indices get none.
    ///
    /// - Throws: ``TensorError`` when this is not a matrix or an index is not a whole number in
    ///   `0..<vocabulary`.
    public func rows(at indices: Tensor) throws -> Tensor {
        guard rank == 2 else { throw TensorError.shapeMismatch("embedding", shape, indices.shape, "the table must be [vocabulary, dimension]") }
        let (vocabulary, dimension) = (shape[0], shape[1])
        var rows = [Int](repeating: 0, count: indices.count)
        for (position, value) in indices.storage.enumerated() {
            guard value >= 0, value < Float(vocabulary), value == value.rounded() else {
                throw TensorError.invalidArgument("embedding", "index \(value) at position \(position) is not a whole number in 0..<\(vocabulary)")
            }
            rows[position] = Int(value)
        }
        var values = [Float](repeating: 0, count: rows.count * dimension)
        storage.withUnsafeBufferPointer { table in
            values.withUnsafeMutableBufferPointer { out in
                guard let pt = table.baseAddress, let po = out.baseAddress else { return }
                for (position, row) in rows.enumerated() {
                    (po + position * dimension).update(from: pt + row * dimension, count: dimension)
                }
            }
        }
        let result = Tensor(shape: indices.shape + [dimension], storage: values)
        let (tableShape, picked) = (shape, rows)
        return Self.recorded(result, inputs: [self, indices]) { gradient in
            var table = [Float](repeating: 0, count: vocabulary * dimension)
            for (position, row) in picked.enumerated() {
                for column in 0..<dimension { table[row * dimension + column] += gradient.storage[position * dimension + column] }
            }
            return [Tensor(shape: tableShape, storage: table), nil]
        }
    }

    /// One LSTM layer over `input` `[batch, steps, inputs]` from zero states, as PyTorch's
    /// `nn.LSTM(batch_first=True)`: every step's hidden state, `[batch, steps, hidden]`.
    /// `weightIH` is `[4·hidden, inputs]`, `weightHH` `[4·hidden, hidden]`, the biases
    /// `[4·hidden]`, gates in the order input, forget, cell, output. O(batch · steps · 4·hidden ·
    /// (inputs + hidden)) in GEMMs; backward is backpropagation through time.
    ///
    /// - Throws: ``TensorError`` when the shapes do not fit together.
    public static func lstm(_ input: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor) throws -> Tensor {
        guard input.rank == 3, weightIH.rank == 2, weightIH.shape[0] % 4 == 0, weightIH.shape[0] > 0 else {
            throw TensorError.shapeMismatch("lstm", input.shape, weightIH.shape, "expected [batch, steps, inputs] and [4·hidden, inputs]")
        }
        let hidden = weightIH.shape[0] / 4
        guard weightIH.shape[1] == input.shape[2], weightHH.shape == [4 * hidden, hidden],
              biasIH.shape == [4 * hidden], biasHH.shape == [4 * hidden] else {
            throw TensorError.invalidArgument("lstm", "input \(input.shape) needs weight_ih [\(4 * hidden), \(input.shape[2])], weight_hh [\(4 * hidden), \(hidden)] and biases [\(4 * hidden)]; got \(weightIH.shape), \(weightHH.shape), \(biasIH.shape), \(biasHH.shape)")
        }
        let layer = LongShortTermMemory(batch: input.shape[0], steps: input.shape[1], inputs: input.shape[2], hidden: hidden)
        let bias = Elementwise.add(biasIH.storage, biasHH.storage)
        let (x, wIH, wHH) = (input.storage, weightIH.storage, weightHH.storage)
        let (outputs, saved) = layer.forward(x, weightIH: wIH, weightHH: wHH, bias: bias)
        let result = Tensor(shape: [layer.batch, layer.steps, hidden], storage: outputs)
        let shapes = (input.shape, weightIH.shape, weightHH.shape)
        return Self.recorded(result, inputs: [input, weightIH, weightHH, biasIH, biasHH]) { gradient in
            let d = layer.backward(gradient.storage, input: x, outputs: outputs, weightIH: wIH, weightHH: wHH, saved: saved)
            let dBias = Tensor(shape: [4 * hidden], storage: d.bias)
            return [Tensor(shape: shapes.0, storage: d.input), Tensor(shape: shapes.1, storage: d.weightIH),
                    Tensor(shape: shapes.2, storage: d.weightHH), dBias, dBias]
        }
    }
}
