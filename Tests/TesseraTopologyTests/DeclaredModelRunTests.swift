import Foundation
import Testing
import TesseraNN
import TesseraTensor
import TesseraTestSupport

/// A model declared in a file, trained federated by real processes: it learns, and its
/// checkpoint is the model PyTorch builds from the checkpoint's own architecture and loads by name.
@Suite("Declared models in a run", .serialized)
struct DeclaredModelRunTests {
    /// A small ResNet for 28×28 digits: group normalization, an identity block and a
    /// downsampling block with a projection, global average pooling.
    static let resnet = """
        name: small-resnet
        input: [1, 28, 28]
        layers:
          - conv: {out: 8, kernel: 3, padding: 1}
          - groupnorm: {groups: 2}
          - relu
          - residual: [{conv: {out: 8, kernel: 3, padding: 1}}, {groupnorm: {groups: 2}}, relu, {conv: {out: 8, kernel: 3, padding: 1}}, {groupnorm: {groups: 2}}]
          - relu
          - residual:
              layers: [{conv: {out: 16, kernel: 3, stride: 2, padding: 1}}, {groupnorm: {groups: 4}}, relu, {conv: {out: 16, kernel: 3, padding: 1}}, {groupnorm: {groups: 4}}]
              projection: [{conv: {out: 16, kernel: 1, stride: 2}}]
          - relu
          - globalavgpool
          - linear: {out: 10}
        """

    /// A small CNN with batch normalization, inside a residual block too.
    static let batchNormed = """
        name: small-bn
        input: [1, 28, 28]
        layers:
          - conv: {out: 8, kernel: 3, padding: 1}
          - batchnorm
          - relu
          - maxpool: {kernel: 2}
          - residual: [{conv: {out: 8, kernel: 3, padding: 1}}, batchnorm]
          - relu
          - globalavgpool
          - linear: {out: 10}
        """

    /// Launches the smoke topology (3 workers, synthetic digits) with `model` (the ResNet) for
    /// `rounds` rounds in a fresh folder, with `options` besides; returns the run directory.
    static func run(_ model: String = resnet, rounds: Int, in folder: URL, lr: String = "0.2", options: [String] = []) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("model.yaml")
        try model.write(to: file, atomically: true, encoding: .utf8)
        let launch = try ProcessHarness(["launch", "smoke", "--model", file.path, "--rounds", "\(rounds)", "--lr", lr,
                                         "--set", "runs=\(folder.path)"] + options, includingErrors: true)
        defer { _ = launch.stop() }
        let done = try launch.waitForLine(containing: "done:", timeout: 300)
        #expect(launch.stop(timeout: 20) == 0, "\(launch.outputLines)")
        #expect(done.contains("final accuracy"))
        return folder.appendingPathComponent("smoke/latest").resolvingSymlinksInPath()
    }

    @Test func aDeclaredResNetLearns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-declared-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.run(rounds: 4, in: folder)
        // Chance is 10 %; this run reaches about 46 % (seeded, so the same every time).
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let last = try #require(metrics.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(metrics.count == 4 && (last["accuracy"] as? Double ?? 0) >= 0.30, "\(last)")
    }

    /// A ResNet for colour images, on the synthetic 3×32×32 images.
    static let colorResNet = """
        name: small-color-resnet
        input: [3, 32, 32]
        layers:
          - conv: {out: 8, kernel: 3, stride: 2, padding: 1}
          - groupnorm: {groups: 2}
          - relu
          - residual: [{conv: {out: 8, kernel: 3, padding: 1}}, {groupnorm: {groups: 2}}, relu, {conv: {out: 8, kernel: 3, padding: 1}}, {groupnorm: {groups: 2}}]
          - relu
          - globalavgpool
          - linear: {out: 10}
        """

    /// A character LSTM, on the synthetic text (80 characters, the next one to predict).
    static let characterLSTM = """
        name: small-char-lstm
        input: [80]
        layers:
          - embedding: {vocab: 80, dim: 8}
          - lstm: {hidden: 32}
          - last
          - linear: {out: 80}
        """

    /// The final accuracy in `run`'s metrics, after checking it has `rounds` rows.
    static func finalAccuracy(_ run: URL, rounds: Int) throws -> Double {
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let last = try #require(metrics.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(metrics.count == rounds)
        return last["accuracy"] as? Double ?? 0
    }

    /// The other two tasks, federated by real processes: a ResNet on colour images
    /// (chance 10 %; this run reaches 80 % in 3 rounds, seeded) and a character LSTM on text
    /// (chance 1.25 %, the best possible about 60 %; this run reaches 22.5 %).
    @Test(arguments: [(colorResNet, "synthetic-images", 0.5), (characterLSTM, "synthetic-text", 0.1)])
    func theLiteratureTasksLearnFederated(model: String, data: String, least: Double) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tasks-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.run(model, rounds: 3, in: folder, lr: data == "synthetic-text" ? "1" : "0.2", options: ["--data", data])
        let accuracy = try Self.finalAccuracy(run, rounds: 3)
        #expect(accuracy >= least, "\(data): \(accuracy)")
    }

    /// FedBN (`--fedbn all`): the run learns with each client's own batch normalization, and
    /// the global model's batch normalization is never aggregated (still its initial values).
    @Test func aRunWithFedBNLearnsAndKeepsTheNormalizationLocal() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fedbn-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.run(Self.batchNormed, rounds: 3, in: folder, options: ["--fedbn", "all"])
        // Chance is 10 %; this run reaches about 44 % (58 % without FedBN on these iid shares).
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let last = try #require(metrics.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(metrics.count == 3 && (last["accuracy"] as? Double ?? 0) >= 0.25, "\(last)")
        let global = try Checkpoint(contentsOf: run.appendingPathComponent("checkpoint.safetensors")).parameters
        for name in ["bn1.weight", "bn1.running_var", "block1.bn1.weight", "block1.bn1.running_var"] {
            #expect(global[name]?.scalars.allSatisfy { $0 == 1 } == true, "\(name) was aggregated")
        }
        #expect(global["block1.bn1.bias"]?.scalars.allSatisfy { $0 == 0 } == true)
    }

    @Test(.enabled(if: pythonWithTorch, "needs python3 with torch and safetensors (make test installs them)"), arguments: [resnet, batchNormed])
    func aDeclaredModelsCheckpointLoadsInPyTorchByName(_ model: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-declared-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.run(model, rounds: 1, in: folder)
        let checkpoint = try Checkpoint(contentsOf: run.appendingPathComponent("checkpoint.safetensors"))
        let spec = try ModelDeclaration.spec(fromText: try #require(checkpoint.metadata["architecture"]))
        #expect(model.contains("name: \(spec.name)") && spec.parameterCount + spec.bufferCount == checkpoint.parameters.scalarCount)
        // Batch normalization's running statistics moved in training, and travel in the checkpoint.
        if spec.bufferCount > 0 { #expect(checkpoint.parameters["bn1.running_var"]?.scalars.allSatisfy { $0 == 1 } == false) }

        var generator = SeededGenerator(seed: 9)
        let batch = try Tensor((0..<(2 * 784)).map { _ in generator.nextUnitFloat() * 2 - 1 }, shape: [2, 1, 28, 28])
        let ours = try Model(spec: spec, parameters: checkpoint.parameters).predict(batch)
        let input = folder.appendingPathComponent("batch.json")
        try JSONSerialization.data(withJSONObject: ["shape": batch.shape, "values": batch.scalars.map(Double.init)]).write(to: input)
        let python = try ProcessHarness(program: "python3", ["scripts/checkpoint_in_pytorch.py",
                                                             run.appendingPathComponent("checkpoint.safetensors").path, "--input", input.path],
                                        includingErrors: true)
        #expect(python.waitForExit(timeout: 120) == 0, "\(python.outputLines)")
        let answer = try #require(python.outputLines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                  "\(python.outputLines)")
        let theirs = (answer["values"] as? [Double] ?? []).map(Float.init)
        #expect(answer["shape"] as? [Int] == [2, 10])
        let scale = theirs.map(abs).max() ?? 1
        let error = zip(ours.scalars, theirs).map { abs($0 - $1) }.max() ?? .infinity
        #expect(theirs.count == 20 && error <= 1e-4 * scale, "Tessera \(ours.scalars), PyTorch \(theirs)")
    }
}
