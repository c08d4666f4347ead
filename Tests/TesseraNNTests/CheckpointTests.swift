import Foundation
import Testing
import TesseraNN
import TesseraTensor

@Suite("safetensors checkpoints")
struct CheckpointTests {
    @Test func headerIsJSONWithNamesDtypesShapesAndOffsets() throws {
        let model = try Model(spec: .logisticRegression, seed: 1)
        let file = try Checkpoint(parameters: model.parameters, metadata: ["model": "logreg"]).encoded()
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + length) % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + length))) as? [String: Any])
        let weight = try #require(header["fc1.weight"] as? [String: Any])
        #expect(weight["dtype"] as? String == "F32")
        #expect(weight["shape"] as? [Int] == [10, 784])
        #expect(weight["data_offsets"] as? [Int] == [0, 31_360])
        let bias = try #require(header["fc1.bias"] as? [String: Any])
        #expect(bias["data_offsets"] as? [Int] == [31_360, 31_400])
        #expect((header["__metadata__"] as? [String: String])?["model"] == "logreg")
        #expect(file.count == 8 + length + 31_400)
        // The data is each value's little-endian float32 bytes, in order.
        let weights = model.parameters["fc1.weight"]!.scalars
        let data = file.subdata(in: (8 + length)..<(8 + length + 8))
        #expect(Array(data) == weights.prefix(2).flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } })
    }

    @Test func roundTripsParametersOptimizerStateAndMetadata() throws {
        let model = try Model(spec: .mnist2NN, seed: 3)
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        var parameters = model.parameters
        try sgd.step(&parameters, gradients: model.parameters)
        let checkpoint = Checkpoint(parameters: parameters, optimizer: sgd.state, metadata: ["round": "4"])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try checkpoint.write(to: url)
        let loaded = try Checkpoint(contentsOf: url)
        #expect(loaded.parameters == parameters)
        #expect(loaded.optimizer == sgd.state)
        #expect(loaded.metadata == ["round": "4"])
    }

    @Test func truncatedAndCorruptFilesAreClearErrors() throws {
        let file = try Checkpoint(parameters: Model(spec: .logisticRegression, seed: 1).parameters).encoded()
        for broken in [file.prefix(4), file.prefix(file.count - 4), Data([255, 255, 255, 255, 0, 0, 0, 0]) + file.dropFirst(8)] {
            let error = try #require(throws: NNError.self) { try Checkpoint(decoding: Data(broken)) }
            #expect(error.kind == .invalidCheckpoint)
        }
        var header = Data("{\"x\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var wrongType = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { wrongType.append(contentsOf: $0) }
        wrongType += header + Data([0, 0])
        let error = try #require(throws: NNError.self) { try SafeTensors.decode(wrongType) }
        #expect(error.description.contains("F16"))
    }
}

/// A checkpoint whose write fails (here the temporary file is /dev/full: ENOSPC, as on a full
/// disk) is a clear error naming the file, and the previous checkpoint stays intact.
@Suite("Checkpoint writes")
struct CheckpointWriteTests {
    @Test func aFailedWriteLeavesThePreviousCheckpoint() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-ckpt-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("checkpoint.safetensors")
        let first = Checkpoint(parameters: try ParameterSet([(name: "w", tensor: Tensor([1, 2]))]), metadata: ["round": "1"])
        try first.write(to: url)
        try FileManager.default.createSymbolicLink(atPath: url.path + ".tmp", withDestinationPath: "/dev/full")
        let second = Checkpoint(parameters: try ParameterSet([(name: "w", tensor: Tensor([3, 4]))]), metadata: ["round": "2"])
        do {
            try second.write(to: url)
            Issue.record("writing to a full device succeeded")
        } catch {
            #expect("\(error)".contains(url.path) && "\(error)".contains("No space left"), "\(error)")
        }
        #expect(try Checkpoint(contentsOf: url).metadata["round"] == "1")
        #expect(!FileManager.default.fileExists(atPath: url.path + ".tmp"), "the temporary file is removed")
    }
}
