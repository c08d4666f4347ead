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

    /// Models and changes summed together in any order (paired when alike) make what summing
    /// the models the changes make does, with each change's own norm as its distance; marks
    /// that do not match the sets are an error.
    @Test func changesAreSummedAsTheModelsTheyMake() throws {
        let base = try set([1, -1], [0.5])
        let changes = [try set([0.25, 0.5], [-0.125]), try set([0.5, 0], [0.25]), try set([-0.5, 0.25], [0])]
        let models = try changes.map { change in var model = base; try model.add(change, scaledBy: 1); return model }
        let weights: [Float] = [0.125, 0.25, 0.375, 0.25]
        for marks in [[true, true, true, false], [false, true, false, true], [true, false, true, true]] {
            let sets = zip(marks, [0, 1, 2, 0]).map { isChange, index in isChange ? changes[index] : models[index] }
            let expected = try ParameterSet.weightedSum(zip(marks, [0, 1, 2, 0]).map { models[$0.1] }, weights: weights)
            let (sum, distances) = try ParameterSet.weightedSum(sets, weights: weights, measuringDistancesTo: base, isChange: marks)
            #expect(sum == expected, "\(marks)")
            for (distance, index) in zip(distances, [0, 1, 2, 0]) {
                #expect(abs(distance - changes[index].squaredChangeNorm.squareRoot()) < 1e-6, "\(marks)")
            }
        }
        #expect(throws: NNError.self) {
            try ParameterSet.weightedSum(models, weights: [0.5, 0.25, 0.25], measuringDistancesTo: base, isChange: [true])
        }
    }

    @Test func inPlaceUpdatesDoNotLeakIntoCopies() throws {
        let original = try set([1, 2], [3])
        var copy = original
        try copy.add(original, scaledBy: 1)
        #expect(original == (try set([1, 2], [3])))
        #expect(copy == (try set([2, 4], [6])))
    }
}
