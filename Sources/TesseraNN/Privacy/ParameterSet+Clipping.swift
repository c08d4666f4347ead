extension ParameterSet {
    /// This set scaled to L2 norm at most `norm` (unchanged when it is within), and whether it
    /// had to be: DP-FedAvg's per-update clipping, on a model change. O(parameters).
    public func clipped(toNorm norm: Double) -> (parameters: ParameterSet, wasClipped: Bool) {
        let length = l2Norm()
        guard length > norm else { return (self, false) }
        return (scaled(by: Float(norm / length)), true)
    }

    /// `self += clip(model − base)`: `model`'s change from `base` clipped to L2 norm at most
    /// `norm` (``clipped(toNorm:)``) and added, bit for bit, from two passes over `model` (one
    /// measures, one adds) that make no copy of it; returns whether the change had to be
    /// clipped. DP-FedAvg's sum of a round's clipped changes. A change whose norm is not finite
    /// (a value of `model` is not, or a difference overflows Float) cannot be clipped: it is not
    /// added, and nil is returned.
    ///
    /// - Throws: ``NNError`` when the three sets' names or shapes differ.
    public mutating func addClippedChange(of model: ParameterSet, from base: ParameterSet, toNorm norm: Double) throws -> Bool? {
        try checkCompatible(with: model, operation: "add a clipped change")
        try checkCompatible(with: base, operation: "add a clipped change")
        let length = try zip(model.tensors, base.tensors).reduce(0) { $0 + (try $1.0.squaredDifferenceSum(from: $1.1)) }.squareRoot()
        guard length.isFinite else { return nil }
        let clipped = length > norm
        let factor = clipped ? Float(norm / length) : 1
        for index in tensors.indices {
            try tensors[index].add(differenceOf: model.tensors[index], from: base.tensors[index], scaledBy: factor)
        }
        return clipped
    }
}
