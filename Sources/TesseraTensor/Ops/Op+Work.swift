extension Op {
    /// About how many arithmetic operations the op performs on inputs of `shapes` (a multiply
    /// and an add count as two), found without touching any data: what a worker budgets each
    /// request with, since a result that fits in memory can still take hours to compute (a
    /// matmul of two 2^15 × 2^15 matrices holds 4 GiB and needs 7·10^13). Saturates at `Int.max`.
    ///
    /// Complexity: O(total rank of the inputs).
    ///
    /// - Throws: ``TensorError`` as ``resultShape(for:)``.
    public func work(for shapes: [[Int]]) throws -> Int {
        let result = try Shape.checkedCount(try resultShape(for: shapes))
        let input = try Shape.checkedCount(shapes[0])
        switch self {
        case .matmul:
            // Each result element is a dot product of length k.
            return Self.product([2, result, shapes[0][shapes[0].count - 1]])
        case .conv2d:
            // Each output element sums input channels × kernel taps products.
            let weight = shapes[1]
            return Self.product([2, result, weight[1], weight[2], weight[3]])
        case let .maxPool2d(options), let .avgPool2d(options):
            return Self.product([result, options.kernel.height, options.kernel.width])
        case .sum, .mean, .max, .argmax, .softmax, .logSoftmax, .crossEntropy:
            // A few passes over the input.
            return Self.product([4, input])
        case .exp, .log, .sqrt, .sigmoid, .tanh, .power:
            // Transcendental: tens of operations per element.
            return Self.product([20, result])
        case .add, .subtract, .multiply, .divide, .negate, .relu, .reshape, .permute, .slice, .concatenate:
            return result
        }
    }

    /// The product of `factors`, or `Int.max` when it overflows.
    private static func product(_ factors: [Int]) -> Int {
        var total = 1
        for factor in factors {
            let (value, overflow) = total.multipliedReportingOverflow(by: Swift.max(factor, 0))
            if overflow { return .max }
            total = value
        }
        return total
    }
}
