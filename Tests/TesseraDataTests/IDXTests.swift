import Foundation
import Testing
import TesseraData

@Suite("IDX files")
struct IDXTests {
    /// An IDX file of unsigned bytes with the given dimensions and data.
    static func idx(_ dimensions: [Int], _ data: [UInt8]) -> Data {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for dimension in dimensions { bytes += [24, 16, 8, 0].map { UInt8((dimension >> $0) & 0xFF) } }
        return Data(bytes + data)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-idx-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// gzip-compresses `data` with the system's gzip.
    static func gzip(_ data: Data) throws -> Data {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("x")
        try data.write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", file.path]
        try process.run()
        process.waitUntilExit()
        return try Data(contentsOf: directory.appendingPathComponent("x.gz"))
    }

    @Test func parsesDimensionsAndData() throws {
        let file = try IDXFile(parsing: Self.idx([2, 2, 3], Array(0..<12)), name: "t")
        #expect(file.dimensions == [2, 2, 3])
        #expect(file.bytes == Array(0..<12))
    }

    @Test func malformedFilesAreNamedErrors() throws {
        let cases: [Data] = [
            Data([0, 0]),                                            // too short
            Data([1, 2, 8, 1, 0, 0, 0, 1, 0]),                       // bad magic
            Data([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]),           // floats, not bytes
            Self.idx([2, 3], Array(repeating: 0, count: 5)),         // truncated data
            Self.idx([2, 3], Array(repeating: 0, count: 7)),         // trailing data
        ]
        for data in cases {
            let error = try #require(throws: DataError.self) { try IDXFile(parsing: data, name: "labels.idx") }
            #expect(error.kind == .malformedFile)
            #expect(error.description.hasPrefix("labels.idx"))
        }
    }

    @Test func readsGzippedFilesAndRejectsTruncatedOnes() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let compressed = try Self.gzip(Self.idx([3, 4], Array(0..<12)))
        let good = directory.appendingPathComponent("good.gz")
        try compressed.write(to: good)
        #expect(try IDXFile(contentsOf: good, cache: DecompressedCache(directory: nil)).bytes == Array(0..<12))
        let truncated = directory.appendingPathComponent("truncated.gz")
        try compressed.prefix(compressed.count - 12).write(to: truncated)
        let error = try #require(throws: DataError.self) {
            try IDXFile(contentsOf: truncated, cache: DecompressedCache(directory: nil))
        }
        #expect(error.kind == .decompression || error.kind == .malformedFile)
        #expect(throws: DataError.self) { try IDXFile(contentsOf: directory.appendingPathComponent("missing")) }
    }

    @Test func gzippedFilesAreInflatedOnceThroughTheCache() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = DecompressedCache(directory: directory.appendingPathComponent("cache"))
        let source = directory.appendingPathComponent("images.gz")
        try Self.gzip(Self.idx([3, 4], Array(0..<12))).write(to: source)
        #expect(try IDXFile(contentsOf: source, cache: cache).bytes == Array(0..<12))
        let entry = try #require(cache.entry(for: source))
        #expect(try Data(contentsOf: entry) == Self.idx([3, 4], Array(0..<12)), "the first read leaves the inflated bytes")
        // A later read takes the cached bytes instead of inflating the source again.
        try Self.idx([3, 4], Array(repeating: 9, count: 12)).write(to: entry)
        #expect(try IDXFile(contentsOf: source, cache: cache).bytes == Array(repeating: 9, count: 12))
        // A cached entry that does not parse is dropped and the source inflated again.
        try Data([1, 2, 3]).write(to: entry)
        #expect(try IDXFile(contentsOf: source, cache: cache).bytes == Array(0..<12))
        #expect(try Data(contentsOf: entry) == Self.idx([3, 4], Array(0..<12)))
        // A changed source is a different entry.
        try Self.gzip(Self.idx([2, 2], [5, 6, 7, 8])).write(to: source)
        #expect(try IDXFile(contentsOf: source, cache: cache).bytes == [5, 6, 7, 8])
    }

    @Test func mnistWithAWrongFileSaysWhich() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.idx([2, 28, 28], Array(repeating: 7, count: 2 * 784)).write(to: directory.appendingPathComponent("train-images-idx3-ubyte"))
        try Self.idx([3], [1, 2, 3]).write(to: directory.appendingPathComponent("train-labels-idx1-ubyte"))
        try Self.idx([1, 28, 28], Array(repeating: 7, count: 784)).write(to: directory.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Self.idx([1], [4]).write(to: directory.appendingPathComponent("t10k-labels-idx1-ubyte"))
        #expect(MNIST.isPresent(in: directory))
        let error = try #require(throws: DataError.self) { try MNIST.load(from: directory) }
        #expect(error.description.contains("train-labels-idx1-ubyte"))
    }
}
