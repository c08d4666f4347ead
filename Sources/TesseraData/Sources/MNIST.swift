import Foundation

/// The MNIST training and test sets, read from the four standard IDX files (gzipped or not).
public enum MNIST {
    /// The standard file names, without the optional `.gz`.
    static let fileNames = (
        trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
        testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte"
    )

    /// Whether `directory` holds all four files.
    public static func isPresent(in directory: URL) -> Bool {
        [fileNames.trainImages, fileNames.trainLabels, fileNames.testImages, fileNames.testLabels]
            .allSatisfy { file(named: $0, in: directory) != nil }
    }

    /// Loads both splits from `directory`.
    ///
    /// - Throws: ``DataError`` naming the missing, truncated or malformed file.
    public static func load(from directory: URL) throws -> (train: Dataset, test: Dataset) {
        let train = try split(images: fileNames.trainImages, labels: fileNames.trainLabels, in: directory)
        var test = try split(images: fileNames.testImages, labels: fileNames.testLabels, in: directory)
        // Test batches are normalized with the training statistics, as everywhere else.
        test.normalization = train.normalization
        return (train, test)
    }

    private static func split(images: String, labels: String, in directory: URL) throws -> Dataset {
        guard let imageURL = file(named: images, in: directory) else {
            throw DataError(.notFound, "\(directory.path): no \(images)[.gz]")
        }
        guard let labelURL = file(named: labels, in: directory) else {
            throw DataError(.notFound, "\(directory.path): no \(labels)[.gz]")
        }
        let imageFile = try IDXFile(contentsOf: imageURL)
        let labelFile = try IDXFile(contentsOf: labelURL)
        guard imageFile.dimensions.count == 3 else {
            throw DataError.malformed(imageURL.path, "images need 3 dimensions, found \(imageFile.dimensions)")
        }
        guard labelFile.dimensions.count == 1, labelFile.dimensions[0] == imageFile.dimensions[0] else {
            throw DataError.malformed(labelURL.path, "\(labelFile.dimensions) labels for \(imageFile.dimensions[0]) images")
        }
        do {
            return try Dataset(bytes: imageFile.bytes, labels: labelFile.bytes.map { Int32($0) },
                               sampleShape: [1, imageFile.dimensions[1], imageFile.dimensions[2]])
        } catch let error as DataError {
            throw DataError.malformed(labelURL.path, error.description)
        }
    }

    private static func file(named name: String, in directory: URL) -> URL? {
        for candidate in [name + ".gz", name] {
            let url = directory.appendingPathComponent(candidate)
            if FileManager.default.isReadableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
