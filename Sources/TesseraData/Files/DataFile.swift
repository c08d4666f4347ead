import Foundation

/// A dataset in a file of the user's: NumPy `.npz` or safetensors holding `x` (`N × features`,
/// `N × H × W` or `N × C × H × W`), `y` (integer labels), optionally `client` (an integer per
/// sample) and `x_test`/`y_test`; or a CSV (``CSVTable``). Opening maps the file and reads the
/// labels and clients; samples are read when asked for (`docs/DATA.md`).
struct DataFile: Sendable {
    /// Where samples come from.
    private enum Samples: Sendable {
        case array(StoredArray)
        case table(CSVTable)

        func values(_ rows: [Int]) throws -> SampleValues {
            switch self {
            case let .array(array): try array.values(rows)
            case let .table(table): try table.features(rows)
            }
        }
    }

    /// Extensions read as data files.
    static let extensions = ["npz", "safetensors", "csv"]

    /// The file.
    let url: URL
    /// The shape of one sample.
    let sampleShape: [Int]
    /// Whether samples are stored as bytes (uint8), which are scaled by 255 unless declared otherwise.
    let storesBytes: Bool
    /// Each training sample's label.
    let labels: [Int64]
    /// Each training sample's client id, when the file has a client column.
    let clients: [Int64]?
    /// The test split's labels, when the file has one.
    let testLabels: [Int64]?
    private let samples: Samples
    private let testSamples: Samples?

    /// Opens the data file at `url`.
    ///
    /// - Throws: ``DataError``, one line naming the file and what is wrong with it.
    init(url: URL, options: DataOptions) throws {
        self.url = url
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw DataError(.notFound, "\(url.path): cannot be read (\(error.localizedDescription))")
        }
        switch url.pathExtension.lowercased() {
        case "csv":
            let table = try CSVTable(url: url, data: data, labelColumn: options.labelColumn, clientColumn: options.clientColumn)
            guard !table.labels.isEmpty else { throw DataError.malformed(url.path, "has a header but no rows") }
            (sampleShape, storesBytes, labels, clients) = ([table.featureNames.count], false, table.labels, table.clients)
            (samples, testSamples, testLabels) = (.table(table), nil, nil)
        case "npz", "safetensors":
            let arrays = url.pathExtension.lowercased() == "npz"
                ? try NumPyArchive.arrays(at: url, data: data) : try SafeTensorsArrays.arrays(at: url, data: data)
            func array(_ name: String) throws -> StoredArray {
                guard let array = arrays[name] else {
                    throw DataError.malformed(url.path, "no array '\(name)'; it holds: \(arrays.keys.sorted().joined(separator: ", ")) (docs/DATA.md: x, y, and optionally client, x_test, y_test)")
                }
                return array
            }
            let x = try array("x")
            sampleShape = try Self.sampleShape(of: x)
            storesBytes = x.element == .uint8
            labels = try Self.labels(try array("y"), count: x.rows, of: "x")
            if let column = arrays["client"] {
                guard column.shape == [x.rows] else {
                    throw DataError.malformed(column.label, "has shape \(column.shape); it needs one client id per sample of x: [\(x.rows)]")
                }
                clients = try column.integers()
            } else {
                clients = nil
            }
            switch (arrays["x_test"], arrays["y_test"]) {
            case (nil, nil):
                (testSamples, testLabels) = (nil, nil)
            case let (xTest?, yTest?):
                guard xTest.element == x.element, try Self.sampleShape(of: xTest) == sampleShape else {
                    throw DataError.malformed(xTest.label, "holds \(xTest.element.rawValue) samples of \(xTest.shape.dropFirst()), but x holds \(x.element.rawValue) samples of \(x.shape.dropFirst())")
                }
                testLabels = try Self.labels(yTest, count: xTest.rows, of: "x_test")
                testSamples = .array(xTest)
            default:
                throw DataError.malformed(url.path, "has one of x_test and y_test without the other; give both or neither")
            }
            samples = .array(x)
        default:
            throw DataError(.invalidArgument, "\(url.path): not a data file this reads (.npz, .safetensors or .csv; see docs/DATA.md)")
        }
    }

    /// The training samples at `rows`.
    ///
    /// - Throws: ``DataError`` for a row out of range, a non-finite value, a damaged file.
    func training(_ rows: [Int]) throws -> SampleValues { try samples.values(rows) }

    /// The test split's samples (nil when the file has none).
    ///
    /// - Throws: ``DataError`` for a non-finite value or a damaged file.
    func test() throws -> SampleValues? {
        guard let testSamples, let testLabels else { return nil }
        return try testSamples.values(Array(0..<testLabels.count))
    }

    /// Reads every training sample, a block at a time, to find a value that is not a finite
    /// number or a damaged entry before any worker does.
    ///
    /// - Throws: ``DataError`` for the first bad value (its sample, or its line and column).
    func scan() throws {
        let block = max(1, (1 << 22) / max(sampleShape.reduce(1, *), 1))
        for start in stride(from: 0, to: labels.count, by: block) {
            _ = try samples.values(Array(start..<min(labels.count, start + block)))
        }
    }

    /// A sample's shape from `x`'s: `[features]`, `[1, H, W]` or `[C, H, W]`.
    private static func sampleShape(of x: StoredArray) throws -> [Int] {
        let sample = Array(x.shape.dropFirst())
        guard (1...3).contains(sample.count), sample.allSatisfy({ $0 > 0 }), x.rows > 0 else {
            throw DataError.malformed(x.label, "has shape \(x.shape); it needs N samples of features, H×W or C×H×W (N × F, N × H × W or N × C × H × W), N > 0")
        }
        return sample.count == 2 ? [1] + sample : sample
    }

    /// The labels in `y`, one per sample of the array named `samples`.
    private static func labels(_ y: StoredArray, count: Int, of samples: String) throws -> [Int64] {
        guard y.shape == [count] || y.shape == [count, 1] else {
            throw DataError.malformed(y.label, "has shape \(y.shape); it needs one label per sample of \(samples): [\(count)]")
        }
        let labels = try y.integers()
        if let bad = labels.first(where: { $0 < 0 || $0 >= DataOptions.maximumClasses }) {
            throw DataError.malformed(y.label, "label \(bad) is not a class number in 0..<\(DataOptions.maximumClasses)")
        }
        return labels
    }
}
