import Testing
import TesseraNN
import TesseraTensor

/// DP-FedAvg's sum of clipped changes, made without copying each model: the same sum, bit for
/// bit, as clipping a change made first and adding it.
@Suite("Clipped changes")
struct ClippedChangeTests {
    /// A set of a 37 × 29 tensor and a 5-vector (sizes that leave tails past every whole
    /// eight and sixteen), values of many magnitudes from a fixed seed.
    static func randomSet(_ generator: inout some RandomNumberGenerator, scale: Float) throws -> ParameterSet {
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in Float.random(in: -1...1, using: &generator) * scale * Float.random(in: 0.001...10, using: &generator) }
        }
        return try ParameterSet([(name: "w", tensor: Tensor(values(37 * 29), shape: [37, 29])), (name: "b", tensor: Tensor(values(5)))])
    }

    /// Clipped (a clip far below the change's norm) and not (far above): the sum, and whether
    /// it clipped, are those `subtracting`, `clipped(toNorm:)` and `add(_:scaledBy:)` make.
    @Test(arguments: [0.05, 1e6])
    func theSumIsTheOneACopiedChangeMakes(clip: Double) throws {
        var generator = SeededGenerator(seed: 7)
        let base = try Self.randomSet(&generator, scale: 1)
        var fused = try Self.randomSet(&generator, scale: 0.1)
        var copied = fused
        for _ in 0..<3 {
            let model = try Self.randomSet(&generator, scale: 1.3)
            let (change, wasClipped) = try model.subtracting(base).clipped(toNorm: clip)
            try copied.add(change, scaledBy: 1)
            #expect(try fused.addClippedChange(of: model, from: base, toNorm: clip) == wasClipped)
            #expect(wasClipped == (clip < 1))
        }
        let differing = zip(fused.flattened(), copied.flattened()).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) of \(copied.scalarCount) values differ")
    }

    /// A model holding a NaN, or one so far from the base that a difference overflows Float,
    /// has no finite norm to clip by: it is not added (nil), and the sum is left as it was.
    @Test(arguments: [Float.nan, 3e38])
    func aChangeWithoutAFiniteNormIsNotAdded(value: Float) throws {
        var generator = SeededGenerator(seed: 5)
        var base = try Self.randomSet(&generator, scale: 1)
        base = try ParameterSet([(name: "w", tensor: base.tensors[0]), (name: "b", tensor: Tensor([-3e38, 0, 0, 0, 0]))])
        var sum = base.scaled(by: 0)
        let model = try ParameterSet([(name: "w", tensor: base.tensors[0]), (name: "b", tensor: Tensor([value, 0, 0, 0, 0]))])
        #expect(try sum.addClippedChange(of: model, from: base, toNorm: 1) == nil)
        #expect(sum == base.scaled(by: 0))
    }

    /// A model whose names or shapes differ from the sum's is an error, and the sum is left as
    /// it was.
    @Test func aMismatchedModelIsRefused() throws {
        var generator = SeededGenerator(seed: 3)
        let base = try Self.randomSet(&generator, scale: 1)
        var sum = base.scaled(by: 0)
        let other = try ParameterSet([(name: "w", tensor: Tensor([Float](repeating: 1, count: 37 * 29), shape: [29, 37])),
                                      (name: "b", tensor: Tensor([Float](repeating: 1, count: 5)))])
        #expect(throws: NNError.self) { try sum.addClippedChange(of: other, from: base, toNorm: 1) }
        #expect(sum == base.scaled(by: 0))
    }
}
