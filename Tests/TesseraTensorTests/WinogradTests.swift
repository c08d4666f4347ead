import Testing
@testable import TesseraTensor

@Suite("Winograd convolution")
struct WinogradTests {
    /// Batch, input and output channels, height, width, kernel, padding: partial lane groups,
    /// odd and non-square planes, partial tiles, channel counts off the microkernel's six rows,
    /// no padding and the largest padding, and the FedAvg CNN's second layer.
    static let cases: [(n: Int, c: Int, o: Int, h: Int, w: Int, r: Int, pad: Int)] = [
        (3, 16, 17, 9, 11, 5, 2), (9, 16, 16, 14, 14, 5, 2), (1, 17, 20, 7, 5, 3, 1),
        (8, 32, 64, 14, 14, 5, 2), (2, 16, 16, 6, 6, 5, 0), (5, 16, 18, 10, 10, 3, 0),
        (4, 24, 16, 13, 8, 5, 4), (17, 16, 16, 5, 9, 3, 2),
    ]

    static func random(_ count: Int, seed: UInt64) throws -> [Float] {
        try Tensor.uniform([count], low: -1, high: 1, seed: seed).scalars
    }

    /// Largest difference between the two, relative to the largest magnitude in `expected`.
    static func relativeError(_ actual: [Float], _ expected: [Float]) -> Float {
        let scale = max(1, expected.map(abs).max() ?? 0)
        return zip(actual, expected).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    static func geometry(_ s: (n: Int, c: Int, o: Int, h: Int, w: Int, r: Int, pad: Int)) throws -> WindowGeometry {
        try WindowGeometry(operation: "test", input: [s.n, s.c, s.h, s.w], kernel: Size2D(s.r),
                           stride: 1, padding: Size2D(s.pad), dilation: 1)
    }

    @Test("takes the Winograd path only where it applies")
    func eligibility() throws {
        let cnn = try WindowGeometry(operation: "test", input: [32, 32, 14, 14], kernel: 5, stride: 1, padding: 2, dilation: 1)
        #expect(WinogradConvolution.transform(for: cnn, outputChannels: 64) != nil)
        let firstLayer = try WindowGeometry(operation: "test", input: [32, 1, 28, 28], kernel: 5, stride: 1, padding: 2, dilation: 1)
        #expect(WinogradConvolution.transform(for: firstLayer, outputChannels: 32) == nil)
        let strided = try WindowGeometry(operation: "test", input: [4, 32, 14, 14], kernel: 3, stride: 2, padding: 1, dilation: 1)
        #expect(WinogradConvolution.transform(for: strided, outputChannels: 32) == nil)
        let sevenBySeven = try WindowGeometry(operation: "test", input: [4, 32, 14, 14], kernel: 7, stride: 1, padding: 3, dilation: 1)
        #expect(WinogradConvolution.transform(for: sevenBySeven, outputChannels: 32) == nil)
    }

    /// The three convolution passes, each computed by `Convolution` with or without Winograd.
    enum Pass: String, CaseIterable, CustomTestStringConvertible {
        case forward, inputGradient, weightGradient
        var testDescription: String { rawValue }

        func compute(_ s: (n: Int, c: Int, o: Int, h: Int, w: Int, r: Int, pad: Int), _ g: WindowGeometry,
                     winograd: Bool) throws -> [Float] {
            let x = try WinogradTests.random(s.n * s.c * s.h * s.w, seed: 1)
            let w = try WinogradTests.random(s.o * s.c * s.r * s.r, seed: 2)
            let bias = try WinogradTests.random(s.o, seed: 3)
            let dy = try WinogradTests.random(s.n * s.o * g.outputPlane, seed: 4)
            let count = switch self {
            case .forward: s.n * s.o * g.outputPlane
            case .inputGradient: s.n * s.c * s.h * s.w
            case .weightGradient: s.o * s.c * s.r * s.r
            }
            var out = [Float](repeating: .nan, count: count)
            out.withUnsafeMutableBufferPointer { po in
                let target = po.baseAddress!
                switch self {
                case .forward:
                    Convolution.forward(x, weight: w, bias: bias, output: target, outputChannels: s.o,
                                        geometry: g, winograd: winograd)
                case .inputGradient:
                    Convolution.backwardInput(dy, weight: w, inputGradient: target, outputChannels: s.o,
                                              geometry: g, winograd: winograd)
                case .weightGradient:
                    Convolution.backwardWeight(dy, input: x, weightGradient: target, outputChannels: s.o,
                                               geometry: g, winograd: winograd)
                }
            }
            return out
        }
    }

    @Test("each pass matches im2col", arguments: Pass.allCases, cases)
    func matchesIm2col(pass: Pass, s: (n: Int, c: Int, o: Int, h: Int, w: Int, r: Int, pad: Int)) throws {
        let g = try Self.geometry(s)
        #expect(WinogradConvolution.transform(for: g, outputChannels: s.o) != nil)
        let fast = try pass.compute(s, g, winograd: true)
        #expect(!fast.contains { $0.isNaN }, "every element written")
        #expect(Self.relativeError(fast, try pass.compute(s, g, winograd: false)) < 2e-5)
    }

    @Test("the transforms compute the correlation", arguments: [5, 3])
    func transformsAreExact(kernel: Int) throws {
        let t = try #require(WinogradTransform.forKernel(kernel))
        let (m, r, alpha) = (t.outputTile, t.kernel, t.inputTile)
        // One dimension in Float64 from the stored matrices: y = Aᵀ[(G g) ⊙ (Bᵀ d)].
        let d = (0..<alpha).map { Double($0 * 7 % 5) - 1.5 }, w = (0..<r).map { Double($0 * 3 % 4) + 0.25 }
        for i in 0..<m {
            var y = 0.0
            for j in 0..<alpha {
                let u = (0..<r).reduce(0.0) { $0 + Double(t.weight[j * r + $1]) * w[$1] }
                let v = (0..<alpha).reduce(0.0) { $0 + Double(t.input[j * alpha + $1]) * d[$1] }
                y += Double(t.output[i * alpha + j]) * u * v
            }
            let expected = (0..<r).reduce(0.0) { $0 + w[$1] * d[i + $1] }
            #expect(abs(y - expected) < 1e-5, "output \(i)")
        }
    }
}
