import Foundation
import Testing
import TesseraData
import TesseraTestSupport

/// Data files written by NumPy and safetensors themselves (Fixtures/, from
/// scripts/data_fixtures.py, whose formulas these tests recompute).
@Suite("Data files")
struct DataFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> DataSource { .file(fixtures.appendingPathComponent(name)) }

    /// Pixel (r, c) of image sample i.
    static func pixel(_ i: Int, _ r: Int, _ c: Int) -> UInt8 { UInt8((i * 7 + r * 3 + c) % 256) }

    static func image(_ i: Int) -> [UInt8] { (0..<8).flatMap { r in (0..<8).map { c in pixel(i, r, c) } } }

    /// Feature j of table sample i.
    static func feature(_ i: Int, _ j: Int) -> Float { Float(i) * 0.5 - Float(j) }

    @Test("npz (stored, compressed, zip64): shape, labels, clients, the test split, rows read as asked", arguments: ["images.npz", "images-compressed.npz", "images-zip64.npz"])
    func numPyArchive(name: String) throws {
        let data = try DataCatalog(Self.fixture(name))
        #expect(data.sampleShape == [1, 8, 8] && data.classes == 3)
        #expect(data.labels == (0..<60).map { Int32($0 % 3) })
        #expect(data.naturalClients.map { Set($0) } == [101, 205, 307, 402, 511, 600])
        #expect(data.normalization == Normalization(scale: 255))
        let some = try data.training([59, 0, 31])
        #expect(some.values == .bytes(Self.image(59) + Self.image(0) + Self.image(31)))
        #expect(some.labels == [2, 0, 1])
        let test = try data.testSet()
        #expect(test.count == 20 && test.values == .bytes((1000..<1020).flatMap(Self.image)))
        let (inputs, _) = try some.batch([1])
        #expect(abs(inputs.scalars[9] - Float(Self.pixel(0, 1, 1)) / 255) < 1e-6)
    }

    @Test func safetensorsWithoutATestSplitSetsASeededShareAside() throws {
        let data = try DataCatalog(Self.fixture("table.safetensors"), seed: 7)
        #expect(data.sampleShape == [4] && data.classes == 3 && data.normalization.isIdentity)
        let test = try data.testSet()
        #expect(test.count == 5 && data.labels.count == 45)
        // Every sample is in exactly one of the two, and keeps its label and features.
        let training = try Self.tableRows(try data.training(Array(0..<45)))
        #expect((training + (try Self.tableRows(test))).sorted() == Array(0..<50))
        #expect(data.naturalClients == training.map { Int64($0 / 10) })
        #expect(try DataCatalog(Self.fixture("table.safetensors"), seed: 7).testSet().values == test.values)
        #expect(try DataCatalog(Self.fixture("table.safetensors"), seed: 8).testSet().values != test.values)
    }

    /// The table rows a dataset holds, told by their first feature (row / 2), after checking
    /// that each holds its row's features and label.
    static func tableRows(_ set: Dataset) throws -> [Int] {
        guard case let .floats(values) = set.values else {
            Issue.record("table features should be floats")
            return []
        }
        return (0..<set.count).map { position in
            let row = Int(values[position * 4] * 2)
            #expect(Array(values[(position * 4)..<(position * 4 + 4)]) == (0..<4).map { Self.feature(row, $0) })
            #expect(set.labels[position] == Int32(row % 3))
            return row
        }
    }

    @Test func csvWithQuotedHeaderCarriageReturnsAndTextClients() throws {
        let data = try DataCatalog(Self.fixture("table.csv"), options: DataOptions(testFraction: 0.2), seed: 3)
        #expect(data.sampleShape == [4] && data.classes == 3 && data.labels.count == 40 && data.normalization.isIdentity)
        let training = try Self.tableRows(try data.training(Array(0..<40)))
        let test = try Self.tableRows(try data.testSet())
        #expect((training + test).sorted() == Array(0..<50))
        // Clients "writer 0" ... "writer 4", numbered in order of appearance.
        #expect(data.naturalClients == training.map { Int64($0 / 10) })
    }

    @Test func float64ValuesBecomeFloats() throws {
        let data = try DataCatalog(Self.fixture("float64.npz"), options: DataOptions(testFraction: 0.5))
        let rows = try Self.tableRows(try data.training(Array(0..<data.labels.count))) + Self.tableRows(try data.testSet())
        #expect(rows.sorted() == Array(0..<30))
        #expect(data.naturalClients == nil)
    }

    @Test("a bad file gets one line naming it and what is wrong", arguments: [
        ("bad-y-length.npz", "needs one label per sample of x: [10]"),
        ("bad-label.npz", "label -1 is not a class number"),
        ("bad-float-labels.npz", "holds float32 values; it must hold integers"),
        ("bad-client-length.npz", "needs one client id per sample of x: [10]"),
        ("bad-nan.npz", "sample 4 has a NaN value"),
        ("bad-no-y.npz", "no array 'y'; it holds: labels, x"),
        ("bad-fortran.npz", "Fortran order"),
        ("bad-test-without-labels.npz", "x_test and y_test without the other"),
        ("bad-rank.npz", "has shape [10]"),
        ("bad-strings.npz", "'<U1' elements"),
        ("bad-ragged.csv", "line 4 has 2 fields, the header has 3 (a ragged row)"),
        ("bad-value.csv", "line 3, column 'b': 'x' is not a finite number"),
        ("bad-no-label.csv", "no column 'label' (data.label_column) in the header; the columns are: a, b, target"),
    ])
    func badFiles(name: String, expected: String) throws {
        let error = try #require(throws: DataError.self) {
            let data = try DataCatalog(Self.fixture(name))
            try data.scan()
        }
        #expect(error.description.contains(expected), "\(error.description)")
        #expect(error.description.contains(name) && !error.description.contains("\n"))
    }

    @Test("every truncation of a file is an error, never a crash", arguments: ["images.npz", "images-compressed.npz", "images-zip64.npz", "table.safetensors"])
    func truncatedFiles(name: String) throws {
        let bytes = try Data(contentsOf: Self.fixtures.appendingPathComponent(name))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-truncated-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        for length in stride(from: 0, to: bytes.count, by: 37) {
            try bytes.prefix(length).write(to: url)
            #expect(throws: DataError.self) {
                let data = try DataCatalog(.file(url))
                try data.scan()
                _ = try data.testSet()
            }
        }
    }

    @Test("a damaged byte anywhere is read or refused, never a crash")
    func corruptedBytes() throws {
        let bytes = try Data(contentsOf: Self.fixtures.appendingPathComponent("images-compressed.npz"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("x.npz")
        for offset in stride(from: 0, to: bytes.count, by: 7) {
            var damaged = bytes
            damaged[offset] ^= 0x5A
            try damaged.write(to: url)
            do {
                let data = try DataCatalog(.file(url))
                try data.scan()
                _ = try data.testSet()
            } catch is DataError {
                continue
            }
        }
    }

    /// Rows of 1,000 bytes in a 3 MB compressed entry: the stream comes in 1 MiB chunks, so rows
    /// straddle chunk ends; rows asked in any order come back in that order.
    @Test(.enabled(if: pythonWithNumPy, "needs python3 with numpy (make test installs it)"))
    func rowsOfALargeCompressedArrayStraddleChunks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-large-npz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("large.npz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import numpy as np
            i = np.arange(3000)[:, None]; j = np.arange(1000)[None, :]
            x = ((i * 31 + j * 7) % 251).astype(np.uint8)
            x[:, 0] = np.arange(3000) // 256; x[:, 1] = np.arange(3000) % 256
            np.savez_compressed('\(url.path)', x=x, y=np.arange(3000) % 10)
            """]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let data = try DataCatalog(.file(url), options: DataOptions(testFraction: 0.01), seed: 1)
        #expect(data.sampleShape == [1000] && data.labels.count == 2970)
        /// The file rows a dataset holds (each row names itself in its first two bytes), after
        /// checking every byte and label.
        func fileRows(_ set: Dataset) -> [Int] {
            guard case let .bytes(values) = set.values else { return [] }
            return (0..<set.count).map { slot in
                let row = Array(values[(slot * 1000)..<((slot + 1) * 1000)])
                let number = Int(row[0]) * 256 + Int(row[1])
                #expect(row.dropFirst(2).enumerated().allSatisfy { $1 == UInt8((number * 31 + ($0 + 2) * 7) % 251) })
                #expect(set.labels[slot] == Int32(number % 10))
                return number
            }
        }
        // Out of order, repeated chunk ends (1 MiB / 1,000 bytes: rows 1,048 and 2,097 straddle).
        let indices = [2969, 0, 1040, 1039, 2080, 5]
        let picked = fileRows(try data.training(indices))
        let all = fileRows(try data.training(Array(0..<2970)))
        #expect(picked == indices.map { all[$0] })
        let test = fileRows(try data.testSet())
        #expect(all == all.sorted() && (all + test).sorted() == Array(0..<3000))
    }

    @Test func aMissingFileOrUnknownExtensionIsNamed() throws {
        let missing = try #require(throws: DataError.self) { try DataSource.locate(explicit: "/nonexistent/data.npz") }
        #expect(missing.kind == .notFound && missing.description.contains("/nonexistent/data.npz: no such file"))
        #expect(try DataSource.locate(explicit: Self.fixtures.appendingPathComponent("images.npz").path) == Self.fixture("images.npz"))
    }
}
