/// A height × width pair (kernel size, stride, padding or dilation of a 2-D window).
public struct Size2D: Sendable, Hashable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Extent along the height (rows) axis.
    public var height: Int
    /// Extent along the width (columns) axis.
    public var width: Int

    /// A pair with separate height and width.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// The same value for height and width.
    public init(_ both: Int) {
        self.init(height: both, width: both)
    }

    /// The same value for height and width, from an integer literal.
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    /// `HxW`.
    public var description: String { "\(height)x\(width)" }
}

/// Options of a 2-D convolution over NCHW tensors (groups = 1).
public struct Conv2DOptions: Sendable, Hashable {
    /// Step between window positions.
    public var stride: Size2D
    /// Zeros added on each side of the input.
    public var padding: Size2D
    /// Spacing between kernel taps.
    public var dilation: Size2D

    /// Options with PyTorch's defaults: stride 1, no padding, no dilation.
    public init(stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }
}

/// Options of a 2-D pooling window over NCHW tensors.
public struct Pool2DOptions: Sendable, Hashable {
    /// Window size.
    public var kernel: Size2D
    /// Step between windows (PyTorch's default: the window size).
    public var stride: Size2D
    /// Padding on each side (ignored by max pooling, counted as zeros by average pooling).
    public var padding: Size2D

    /// A window of `kernel`, stepping by `stride` (default: `kernel`), with `padding`.
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }
}

/// The geometry of one 2-D window operation on NCHW data, validated once at the op boundary.
struct WindowGeometry {
    let batch, channels, height, width: Int
    let kernelHeight, kernelWidth: Int
    let strideHeight, strideWidth: Int
    let padHeight, padWidth: Int
    let dilationHeight, dilationWidth: Int
    let outputHeight, outputWidth: Int

    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }
    var taps: Int { kernelHeight * kernelWidth }

    init(operation: String, input: [Int], kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D) throws {
        guard input.count == 4 else {
            throw TensorError.invalidArgument(operation, "expects an NCHW input of rank 4, got shape \(input)")
        }
        guard kernel.height > 0, kernel.width > 0, stride.height > 0, stride.width > 0,
              dilation.height > 0, dilation.width > 0, padding.height >= 0, padding.width >= 0 else {
            throw TensorError.invalidArgument(operation, "kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive, padding \(padding) non-negative")
        }
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
        (kernelHeight, kernelWidth) = (kernel.height, kernel.width)
        (strideHeight, strideWidth) = (stride.height, stride.width)
        (padHeight, padWidth) = (padding.height, padding.width)
        (dilationHeight, dilationWidth) = (dilation.height, dilation.width)
        // Sizes come from messages: every product and sum is checked (a dilation of 2^32 times a
        // kernel of 2^32 overflows; found by the op fuzzer).
        let tooLarge = TensorError.invalidArgument(operation, "kernel \(kernel), dilation \(dilation) and padding \(padding) are too large to compute with")
        func times(_ a: Int, _ b: Int) throws -> Int {
            let (value, overflow) = a.multipliedReportingOverflow(by: b)
            if overflow { throw tooLarge }
            return value
        }
        func plus(_ a: Int, _ b: Int) throws -> Int {
            let (value, overflow) = a.addingReportingOverflow(b)
            if overflow { throw tooLarge }
            return value
        }
        let spanHeight = try plus(try times(dilation.height, kernel.height - 1), 1)
        let spanWidth = try plus(try times(dilation.width, kernel.width - 1), 1)
        let paddedHeight = try plus(height, try times(2, padding.height))
        let paddedWidth = try plus(width, try times(2, padding.width))
        guard paddedHeight >= spanHeight, paddedWidth >= spanWidth else {
            throw TensorError.invalidArgument(operation, "a \(kernel) window (dilation \(dilation)) does not fit in a \(height)x\(width) input padded by \(padding)")
        }
        outputHeight = (paddedHeight - spanHeight) / stride.height + 1
        outputWidth = (paddedWidth - spanWidth) / stride.width + 1
    }
}
