extension ParameterSet {
    /// This set scaled to L2 norm at most `norm` (unchanged when it is within), and whether it
    /// had to be: DP-FedAvg's per-update clipping, on a model change. O(parameters).
    public func clipped(toNorm norm: Double) -> (parameters: ParameterSet, wasClipped: Bool) {
        let length = l2Norm()
        guard length > norm else { return (self, false) }
        return (scaled(by: Float(norm / length)), true)
    }
}
