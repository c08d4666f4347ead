// Building blocks of normalization layers and smooth activations. They are layer kernels, not
// ops of the wire's op set (`Op`): a worker asked for them remotely composes them from the ops.

extension Tensor {
    /// Each run of `length` consecutive elements (row-major) shifted to zero mean and divided by
    /// `sqrt(variance + epsilon)`, the variance biased (divided by `length`): layer
    /// normalization over the trailing dimensions whose product is `length`, or group
    /// normalization of `[N, C, ...]` with `length = C / groups · spatial`. O(count), threaded.
    ///
    /// - Throws: ``TensorError`` when `length` is not positive or does not divide the count.
    public func standardized(inGroupsOf length: Int, epsilon: Float = 1e-5) throws -> Tensor {
        guard length > 0, count % length == 0 else {
            throw TensorError.invalidArgument("standardize", "groups of \(length) do not divide \(count) elements (shape \(shape))")
        }
        guard epsilon >= 0 else { throw TensorError.invalidArgument("standardize", "epsilon \(epsilon) is negative") }
        let (values, inverse) = GroupStandardization.forward(storage, length: length, epsilon: epsilon)
        let result = Tensor(shape: shape, storage: values)
        let shape = shape
        return Self.recorded(result, inputs: [self]) { gradient in
            [Tensor(shape: shape, storage: GroupStandardization.backward(gradient.storage, values: values, inverseDeviations: inverse, length: length))]
        }
    }

    /// GELU elementwise, `x · Φ(x)` with the exact normal CDF (PyTorch's default, not the tanh
    /// approximation).
    public func gelu() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, GaussianErrorLinear.self))
        let input = detached()
        return Self.recorded(result, inputs: [self]) { gradient in
            [try gradient.multiplying(Tensor(shape: input.shape, storage: Elementwise.map(input.storage, GaussianErrorLinearSlope.self)))]
        }
    }
}
