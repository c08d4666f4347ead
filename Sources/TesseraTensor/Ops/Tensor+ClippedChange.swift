// Differential privacy's passes over a client's model: its change from the round's model is
// measured, then added, scaled, into a running sum, without making the change or its scaled
// copy. Each value is what `subtracting(_:)`, `squaredSum()`, `scale(by:)` and
// `add(_:scaledBy: 1)` make of it one after the other, bit for bit: the difference rounded to
// Float, then its product, then the sum.

extension Tensor {
    /// `Σ (self − base)²`, each difference rounded to Float and squared in Double: bit for bit
    /// `subtracting(base).squaredSum()`, reading both in place.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func squaredDifferenceSum(from base: Tensor) throws -> Double {
        guard base.shape == shape else { throw TensorError.shapeMismatch("squared difference", shape, base.shape) }
        return withFloats { values, count in
            base.withFloats { reference, _ in
                guard let values, let reference else { return 0 }
                return SquaredSum.ofFloatDifferences(values, reference, count: count)
            }
        }
    }

    /// `self += (model − base) · factor`, each difference and each product rounded to Float
    /// before the next step: bit for bit adding `model.subtracting(base)` scaled by `factor`
    /// (unchanged at 1) with ``add(_:scaledBy:)``, reading `model` in place.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public mutating func add(differenceOf model: Tensor, from base: Tensor, scaledBy factor: Float) throws {
        guard model.shape == shape else { throw TensorError.shapeMismatch("add a difference in place", shape, model.shape) }
        guard base.shape == shape else { throw TensorError.shapeMismatch("add a difference in place", shape, base.shape) }
        model.withFloats { values, count in
            base.withFloats { reference, _ in
                storage.withUnsafeMutableBufferPointer { target in
                    guard let values, let reference, let target = target.baseAddress else { return }
                    let scale = SIMD8<Float>(repeating: factor)
                    var index = 0
                    while index + 8 <= count {
                        if index % StreamPrefetch.stride == 0 { StreamPrefetch.ahead(of: values, at: index, count: count) }
                        let difference = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
                            - UnsafeRawPointer(reference + index).loadUnaligned(as: SIMD8<Float>.self)
                        let sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(target + index).storeBytes(of: sum + difference * scale, as: SIMD8<Float>.self)
                        index += 8
                    }
                    while index < count {
                        target[index] += (values[index] - reference[index]) * factor
                        index += 1
                    }
                }
            }
        }
    }
}
