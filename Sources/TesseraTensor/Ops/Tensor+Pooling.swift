// 2-D max and average pooling over NCHW tensors.

extension Tensor {
    /// Max pooling of this N × C × H × W tensor. Padding never wins a window.
    ///
    /// - Throws: ``TensorError`` for a rank other than 4, non-positive sizes, or a window that
    ///   does not fit; or padding larger than half the window (as PyTorch).
    public func maxPool2d(_ options: Pool2DOptions) throws -> Tensor {
        let geometry = try poolGeometry("maxPool2d", options)
        let outputShape = [geometry.batch, geometry.channels, geometry.outputHeight, geometry.outputWidth]
        let count = Shape.count(outputShape)
        var indices = [Int32](repeating: 0, count: count)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            storage.withUnsafeBufferPointer { x in
                indices.withUnsafeMutableBufferPointer { indices in
                    guard let px = x.baseAddress, let po = out.baseAddress, let pi = indices.baseAddress else { return }
                    Pooling.maxForward(px, geometry: geometry, values: po, indices: pi)
                }
            }
            initialized = count
        }
        let winners = indices
        let inputShape = shape
        return Self.recorded(Tensor(shape: outputShape, storage: values), inputs: [self]) { gradient in
            [Self.poolGradient(inputShape) { target in
                gradient.storage.withUnsafeBufferPointer { dy in
                    winners.withUnsafeBufferPointer { winners in
                        guard let pdy = dy.baseAddress, let pw = winners.baseAddress else { return }
                        Pooling.maxBackward(pdy, indices: pw, geometry: geometry, into: target)
                    }
                }
            }]
        }
    }

    /// Average pooling of this N × C × H × W tensor; padding counts as zeros.
    ///
    /// - Throws: ``TensorError`` as for ``maxPool2d(_:)``.
    public func avgPool2d(_ options: Pool2DOptions) throws -> Tensor {
        let geometry = try poolGeometry("avgPool2d", options)
        let outputShape = [geometry.batch, geometry.channels, geometry.outputHeight, geometry.outputWidth]
        let count = Shape.count(outputShape)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            storage.withUnsafeBufferPointer { x in
                guard let px = x.baseAddress, let po = out.baseAddress else { return }
                Pooling.averageForward(px, geometry: geometry, into: po)
            }
            initialized = count
        }
        let inputShape = shape
        return Self.recorded(Tensor(shape: outputShape, storage: values), inputs: [self]) { gradient in
            [Self.poolGradient(inputShape) { target in
                gradient.storage.withUnsafeBufferPointer { dy in
                    guard let pdy = dy.baseAddress else { return }
                    Pooling.averageBackward(pdy, geometry: geometry, into: target)
                }
            }]
        }
    }

    private func poolGeometry(_ operation: String, _ options: Pool2DOptions) throws -> WindowGeometry {
        guard options.padding.height * 2 <= options.kernel.height, options.padding.width * 2 <= options.kernel.width else {
            throw TensorError.invalidArgument(operation, "padding \(options.padding) must be at most half the window \(options.kernel)")
        }
        return try WindowGeometry(operation: operation, input: shape, kernel: options.kernel,
                                  stride: options.stride, padding: options.padding, dilation: 1)
    }

    private static func poolGradient(_ shape: [Int], _ fill: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let count = Shape.count(shape)
        let storage = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if let base = out.baseAddress { fill(base) }
            initialized = count
        }
        return Tensor(shape: shape, storage: storage)
    }
}
