import Foundation

extension Tensor {
    /// A tensor of `shape` filled with `value`.
    ///
    /// - Throws: ``TensorError`` when a dimension is negative.
    public static func full(_ shape: [Int], value: Float) throws -> Tensor {
        try Shape.validate(shape)
        return Tensor(shape: shape, storage: [Float](repeating: value, count: Shape.count(shape)))
    }

    /// A tensor of zeros. - Throws: ``TensorError`` when a dimension is negative.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, value: 0) }

    /// A tensor of ones. - Throws: ``TensorError`` when a dimension is negative.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, value: 1) }

    /// `start, start + step, …` up to but excluding `end`, as a 1-D tensor.
    ///
    /// - Throws: ``TensorError`` when `step` is zero or not finite.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError.invalidArgument("arange", "step must be finite and non-zero, bounds finite (got \(start), \(end), \(step))")
        }
        let count = Swift.max(0, Int((Double(end - start) / Double(step)).rounded(.up)))
        return Tensor(shape: [count], storage: (0..<count).map { start + Float($0) * step })
    }

    /// Uniform samples in `[low, high)` from a generator seeded with `seed`.
    ///
    /// - Throws: ``TensorError`` when a dimension is negative.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, seed: UInt64) throws -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return try uniform(shape, low: low, high: high, using: &generator)
    }

    /// Uniform samples in `[low, high)` drawn from `generator`.
    ///
    /// - Throws: ``TensorError`` when a dimension is negative.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout SeededGenerator
    ) throws -> Tensor {
        try Shape.validate(shape)
        let span = high - low
        var values = [Float](repeating: 0, count: Shape.count(shape))
        for index in values.indices { values[index] = low + span * generator.nextUnitFloat() }
        return Tensor(shape: shape, storage: values)
    }

    /// Normal samples with `mean` and `standardDeviation` from a generator seeded with `seed`.
    ///
    /// - Throws: ``TensorError`` when a dimension is negative.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, seed: UInt64) throws -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return try normal(shape, mean: mean, standardDeviation: standardDeviation, using: &generator)
    }

    /// Normal samples (Box–Muller) with `mean` and `standardDeviation` drawn from `generator`.
    ///
    /// - Throws: ``TensorError`` when a dimension is negative.
    public static func normal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout SeededGenerator
    ) throws -> Tensor {
        try Shape.validate(shape)
        let count = Shape.count(shape)
        var values = [Float](repeating: 0, count: count)
        var index = 0
        while index < count {
            // 1 - u keeps the logarithm's argument in (0, 1].
            let u1 = 1 - Double(generator.nextUnitFloat())
            let u2 = Double(generator.nextUnitFloat())
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            values[index] = mean + standardDeviation * Float(radius * cos(2 * .pi * u2))
            if index + 1 < count {
                values[index + 1] = mean + standardDeviation * Float(radius * sin(2 * .pi * u2))
            }
            index += 2
        }
        return Tensor(shape: shape, storage: values)
    }
}
