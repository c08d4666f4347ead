import Foundation
import Testing
import TesseraTestSupport

/// A user's own data file, read by real worker processes: a federation on it learns, with the
/// data's own clients as the split, and `tessera check` shows what the run will read.
@Suite("Data files in a run", .serialized)
struct FileDataRunTests {
    /// Writes a safetensors file of four Gaussian blobs in 16 dimensions (float32 x, int64 y)
    /// whose samples belong to 8 natural clients (int32 ids 10, 20, ...), the last with 5
    /// samples; the format is simple enough to write here byte by byte.
    static func writeBlobs(to url: URL, samples: Int = 1_205) throws {
        var state: UInt64 = 0x9E37_79B9
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        var x: [Float] = [], y: [Int64] = [], client: [Int32] = []
        for index in 0..<samples {
            let label = index % 4
            for feature in 0..<16 {
                let centre: Float = feature % 4 == label ? 2 : 0
                x.append(centre + (uniform() + uniform() + uniform() - 1.5) * 1.5)
            }
            y.append(Int64(label))
            client.append(index < samples - 5 ? Int32(10 * (index % 7 + 1)) : 80)
        }
        func bytes<Value>(_ values: [Value]) -> Data { values.withUnsafeBytes { Data($0) } }
        let tensors: [(String, String, [Int], Data)] = [
            ("x", "F32", [samples, 16], bytes(x)), ("y", "I64", [samples], bytes(y)), ("client", "I32", [samples], bytes(client)),
        ]
        var header: [String: Any] = [:], offset = 0, body = Data()
        for (name, dtype, shape, data) in tensors {
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + data.count]]
            offset += data.count
            body += data
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        try (withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) } + json + body).write(to: url)
    }

    static let model = """
        name: blobs-mlp
        input: [16]
        layers:
          - linear: {out: 32}
          - relu
          - linear: {out: 4}
        """

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-file-data-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeBlobs(to: folder.appendingPathComponent("blobs.safetensors"))
        try model.write(to: folder.appendingPathComponent("model.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func aFederationOnAFileWithNaturalClientsLearns() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let launch = try ProcessHarness(["launch", "smoke", "--data", folder.appendingPathComponent("blobs.safetensors").path,
                                         "--model", folder.appendingPathComponent("model.yaml").path, "--rounds", "3",
                                         "--set", "data.partition=natural", "--set", "data.min_client_samples=20",
                                         "--set", "runs=\(folder.path)"], includingErrors: true)
        defer { _ = launch.stop() }
        let done = try launch.waitForLine(containing: "done:", timeout: 300)
        #expect(launch.stop(timeout: 20) == 0, "\(launch.outputLines)")
        let lines = launch.outputLines
        #expect(lines.contains { $0.contains("natural clients: 7 natural clients (1 with fewer than 20 samples dropped: 3 samples), 2 to 3 per worker") },
                "\(lines)")
        #expect(lines.contains { $0.contains("1,085 training samples of [16], 4 classes; normalization: none (values as stored); test set: a seeded 10 % of the file (data.test_fraction; 120 samples)") },
                "\(lines)")
        // (The test set is a seeded 10 % of the file, so 3 of the small client's 5 samples train.)
        // Four blobs about two deviations apart: chance is 25 %.
        let accuracy = Double(done.split(separator: " ").first { $0.hasSuffix("%,") }?.dropLast(2) ?? "") ?? 0
        #expect(accuracy >= 80, "\(done)")
    }

    @Test func checkShowsTheDataAndTheSplitAndABadFileInOneLine() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("blobs.safetensors").path
        let check = try ProcessHarness(["check", "smoke", "--data", data, "--model", folder.appendingPathComponent("model.yaml").path,
                                        "--set", "data.partition=natural"], includingErrors: true)
        #expect(check.waitForExit(timeout: 60) == 0)
        let lines = check.outputLines
        #expect(lines.contains { $0.contains("data: 1,085 training samples of [16], 4 classes") }, "\(lines)")
        #expect(lines.contains { $0.contains("natural clients: 7 natural clients (1 with fewer than 10 samples dropped: 3 samples), 2 to 3 per worker") }, "\(lines)")
        #expect(lines.contains { $0.contains("data split: natural over 3 clients:") && $0.contains("(smallest / median / largest)") }, "\(lines)")

        // The same file cut short: one line naming it, exit status 1.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: data))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: data))
        let bad = try ProcessHarness(["check", "smoke", "--data", data, "--model", folder.appendingPathComponent("model.yaml").path],
                                     includingErrors: true)
        #expect(bad.waitForExit(timeout: 60) == 1)
        let errors = bad.outputLines.filter { $0.contains("Error") }
        #expect(errors.count == 1 && errors[0].contains("blobs.safetensors") && errors[0].contains("truncated"), "\(bad.outputLines)")
    }
}
