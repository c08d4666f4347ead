import Testing
import TesseraNN
import TesseraTensor

@Suite("Parameter sets")
struct ParameterSetTests {
    func set(_ a: [Float], _ b: [Float]) throws -> ParameterSet {
        try ParameterSet([(name: "a", tensor: Tensor(a)), (name: "b", tensor: Tensor(b))])
    }

    @Test func weightedSumDifferenceScaleAndNorm() throws {
        let x = try set([1, 2], [3]), y = try set([3, 4], [5])
        let average = try ParameterSet.weightedSum([x, y], weights: [0.25, 0.75])
        #expect(average == (try set([2.5, 3.5], [4.5])))
        #expect(try y.subtracting(x) == (try set([2, 2], [2])))
        #expect(x.scaled(by: 2) == (try set([2, 4], [6])))
        #expect(abs(x.l2Norm() - Double(14).squareRoot()) < 1e-9)
    }

    @Test func flattenRoundTrips() throws {
        let x = try set([1, 2], [3])
        #expect(x.flattened() == [1, 2, 3])
        #expect(try x.unflattened([4, 5, 6]) == (try set([4, 5], [6])))
        #expect(throws: NNError.self) { try x.unflattened([1]) }
    }

    @Test func mismatchesAreErrorsNamingTheParameter() throws {
        let x = try set([1, 2], [3])
        let other = try ParameterSet([(name: "a", tensor: Tensor([1, 2])), (name: "c", tensor: Tensor([3]))])
        let error = try #require(throws: NNError.self) { try ParameterSet.weightedSum([x, other], weights: [1, 1]) }
        #expect(error.description.contains("'c'"))
        let reshaped = try ParameterSet([(name: "a", tensor: Tensor([1, 2, 3])), (name: "b", tensor: Tensor([3]))])
        let shapeError = try #require(throws: NNError.self) { try x.checkCompatible(with: reshaped, operation: "update") }
        #expect(shapeError.description.contains("'a' [2] vs 'a' [3]"), "\(shapeError)")
        #expect(throws: NNError.self) { try ParameterSet([(name: "a", tensor: Tensor([1])), (name: "a", tensor: Tensor([2]))]) }
        #expect(throws: NNError.self) { try ParameterSet.weightedSum([], weights: []) }
    }

    @Test func inPlaceUpdatesDoNotLeakIntoCopies() throws {
        let original = try set([1, 2], [3])
        var copy = original
        try copy.add(original, scaledBy: 1)
        #expect(original == (try set([1, 2], [3])))
        #expect(copy == (try set([2, 4], [6])))
    }
}
