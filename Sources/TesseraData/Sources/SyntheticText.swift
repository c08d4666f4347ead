import TesseraTensor

/// A generated stand-in for the FedAvg paper's Shakespeare task: sequences of 80 characters from
/// an 80-character vocabulary, each labelled with the character that follows. The text comes
/// from a chain in which every character is followed by its own favourite successor 60 % of the
/// time and by any character otherwise, so the best possible accuracy is about 60.5 % and chance
/// 1.25 %: a model that learns shows it. Fully determined by the seed.
public enum SyntheticText {
    /// Characters in the vocabulary, and classes (the next character).
    public static let vocabulary = 80
    /// Characters per sequence.
    public static let length = 80
    /// How often a character is followed by its favourite successor.
    static let favouriteShare: Float = 0.6

    /// A training set of `trainCount` and a test set of `testCount` sequences.
    ///
    /// - Throws: ``DataError`` for negative counts.
    public static func make(seed: UInt64, trainCount: Int = 4_000, testCount: Int = 800) throws -> (train: Dataset, test: Dataset) {
        guard trainCount >= 0, testCount >= 0 else { throw DataError(.invalidArgument, "synthetic text counts must be non-negative") }
        // One chain for both sets: the test set is the same "language".
        var chain = SeededGenerator(seed: seed)
        var successors = Array(0..<vocabulary)
        successors.shuffle(using: &chain)
        return (try sequences(count: trainCount, successors: successors, seed: seed &+ 1),
                try sequences(count: testCount, successors: successors, seed: seed ^ 0x7E_57))
    }

    /// `count` sequences of the chain with favourite `successors`, each with its next character.
    static func sequences(count: Int, successors: [Int], seed: UInt64) throws -> Dataset {
        var generator = SeededGenerator(seed: seed)
        var values = [UInt8](repeating: 0, count: count * length)
        var labels = [Int32](repeating: 0, count: count)
        for index in 0..<count {
            var character = Int(generator.next() % UInt64(vocabulary))
            for position in 0...length {
                if position == length {
                    labels[index] = Int32(character)
                } else {
                    values[index * length + position] = UInt8(character)
                }
                character = generator.nextUnitFloat() < favouriteShare ? successors[character] : Int(generator.next() % UInt64(vocabulary))
            }
        }
        return try Dataset(bytes: values, labels: labels, sampleShape: [length], tokens: true, classes: vocabulary)
    }
}
