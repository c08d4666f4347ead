extension Op {
    /// The shape of the op's result on inputs of `shapes`, found without touching any data:
    /// what a worker checks against its memory limits before it lets the op allocate. Element
    /// counts are overflow-checked (a message can claim any shape).
    ///
    /// Complexity: O(total rank of the inputs).
    ///
    /// - Throws: ``TensorError`` for inputs the op would refuse, and `.tooLarge` for a result
    ///   whose element count overflows.
    public func resultShape(for shapes: [[Int]]) throws -> [Int] {
        guard arity.contains(shapes.count) else {
            throw TensorError(.arity, "\(name) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) or more") inputs, got \(shapes.count)")
        }
        let x = shapes[0]
        let result: [Int]
        switch self {
        case .add, .subtract, .multiply, .divide, .power:
            result = try Shape.broadcast(x, shapes[1], operation: name)
        case .negate, .exp, .log, .sqrt, .relu, .sigmoid, .tanh:
            result = x
        case let .sum(axes, keep), let .mean(axes, keep), let .max(axes, keep):
            result = Self.reduced(x, axes: try Shape.normalize(axes: axes, rank: x.count, operation: name), keep: keep)
        case let .argmax(axis, keep):
            result = Self.reduced(x, axes: [try Shape.normalize(axis: axis, rank: x.count, operation: name)], keep: keep)
        case .matmul:
            let y = shapes[1]
            guard x.count >= 2, y.count >= 2, x[x.count - 1] == y[y.count - 2] else {
                throw TensorError.shapeMismatch("matmul", x, y, "expected [..., m, k] and [..., k, n]")
            }
            result = try Shape.broadcast(Array(x.dropLast(2)), Array(y.dropLast(2)), operation: name) + [x[x.count - 2], y[y.count - 1]]
        case let .conv2d(options):
            let geometry = try convolutionGeometry(x, weight: shapes[1], options: options)
            result = [geometry.batch, shapes[1][0], geometry.outputHeight, geometry.outputWidth]
        case let .maxPool2d(options), let .avgPool2d(options):
            let geometry = try WindowGeometry(operation: name, input: x, kernel: options.kernel, stride: options.stride,
                                              padding: options.padding, dilation: 1)
            result = [geometry.batch, geometry.channels, geometry.outputHeight, geometry.outputWidth]
        case let .softmax(axis), let .logSoftmax(axis):
            _ = try Shape.normalize(axis: axis, rank: x.count, operation: name)
            result = x
        case .crossEntropy:
            guard x.count == 2, shapes[1] == [x[0]] else {
                throw TensorError.shapeMismatch("crossEntropy", x, shapes[1], "expected N x C logits and N labels")
            }
            result = []
        case let .reshape(shape):
            try Tensor.checkReshape(shape)
            result = try Tensor.reshapeTarget(shape, count: try Shape.checkedCount(x), from: x)
        case let .permute(axes):
            let normalized = try axes.map { try Shape.normalize(axis: $0, rank: x.count, operation: name) }
            guard normalized.count == x.count, Set(normalized).count == x.count else {
                throw TensorError.invalidArgument("permute", "axes \(axes) are not a permutation of \(x.count) dimensions")
            }
            result = normalized.map { x[$0] }
        case let .slice(range):
            guard let rows = x.first, range.lowerBound >= 0, range.upperBound <= rows else {
                throw TensorError.invalidArgument("slice", "range \(range) is outside the first dimension of shape \(x)")
            }
            result = [range.count] + x.dropFirst()
        case let .concatenate(axis):
            let axis = try Shape.normalize(axis: axis, rank: x.count, operation: name)
            var length = 0
            for shape in shapes {
                var expected = x
                expected[axis] = shape.count == x.count ? shape[axis] : -1
                guard shape == expected else { throw TensorError.shapeMismatch("concatenate", x, shape, "only axis \(axis) may differ") }
                let (sum, overflow) = length.addingReportingOverflow(shape[axis])
                guard !overflow else { throw TensorError.tooLarge(x) }
                length = sum
            }
            var joined = x
            joined[axis] = length
            result = joined
        }
        _ = try Shape.checkedCount(result)
        return result
    }

    /// Elements of the largest working buffer the op allocates besides its result: a
    /// convolution's im2col matrix for one image (input channels × kernel taps × output
    /// positions); 0 for the others, whose temporaries are at most their result's size.
    ///
    /// - Throws: ``TensorError`` as ``resultShape(for:)``.
    public func scratchElements(for shapes: [[Int]]) throws -> Int {
        guard case let .conv2d(options) = self, shapes.count >= 2 else { return 0 }
        let geometry = try convolutionGeometry(shapes[0], weight: shapes[1], options: options)
        return try Shape.checkedCount([geometry.channels, geometry.taps, geometry.outputHeight, geometry.outputWidth])
    }

    private func convolutionGeometry(_ input: [Int], weight: [Int], options: Conv2DOptions) throws -> WindowGeometry {
        guard weight.count == 4 else {
            throw TensorError.invalidArgument("conv2d", "weight must be O x C x KH x KW, got shape \(weight)")
        }
        let geometry = try WindowGeometry(operation: "conv2d", input: input, kernel: Size2D(height: weight[2], width: weight[3]),
                                          stride: options.stride, padding: options.padding, dilation: options.dilation)
        guard weight[1] == geometry.channels else {
            throw TensorError.shapeMismatch("conv2d", input, weight, "input has \(geometry.channels) channels, weight expects \(weight[1])")
        }
        return geometry
    }

    private static func reduced(_ shape: [Int], axes: [Int], keep: Bool) -> [Int] {
        keep ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }
}

extension Tensor {
    /// The number of elements a tensor of `shape` holds.
    ///
    /// - Throws: ``TensorError`` (`.tooLarge`) when the product overflows, `.invalidShape` for a
    ///   negative dimension.
    public static func elementCount(of shape: [Int]) throws -> Int {
        try Shape.validate(shape)
        return Shape.count(shape)
    }
}
