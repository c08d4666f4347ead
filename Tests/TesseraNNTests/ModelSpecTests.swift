import Foundation
import Testing
import TesseraNN
import TesseraTensor

@Suite("Model specs")
struct ModelSpecTests {
    @Test("built-in parameter counts", arguments: [("mnist-cnn", 1_663_370), ("mnist-2nn", 199_210), ("logreg", 7_850)])
    func parameterCounts(name: String, count: Int) throws {
        let model = try Model(spec: ModelSpec.named(name), seed: 1)
        #expect(model.parameters.scalarCount == count)
        #expect(try model.spec.validate() == [10])
    }

    @Test func cnnParameterNamesFollowPyTorch() throws {
        let model = try Model(spec: .mnistCNN, seed: 1)
        #expect(model.parameters.names == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(model.parameters["fc1.weight"]?.shape == [512, 3136])
        #expect(model.parameters["conv2.weight"]?.shape == [64, 32, 5, 5])
    }

    @Test func specsRoundTripThroughJSON() throws {
        let data = try JSONEncoder().encode(ModelSpec.mnistCNN)
        #expect(try JSONDecoder().decode(ModelSpec.self, from: data) == .mnistCNN)
    }

    @Test func badSpecsAreRejectedWithTheLayer() throws {
        let misfit = ModelSpec(name: "bad", inputShape: [1, 28, 28], layers: [.flatten, .linear(inputs: 100, outputs: 10)])
        let error = try #require(throws: NNError.self) { try misfit.validate() }
        #expect(error.kind == .invalidSpec)
        #expect(error.description.contains("100"))
        let zero = ModelSpec(name: "zero", inputShape: [4], layers: [.linear(inputs: 4, outputs: 0)])
        #expect(throws: NNError.self) { try zero.validate() }
        let unknown = try #require(throws: NNError.self) { try ModelSpec.named("resnet") }
        #expect(unknown.kind == .unknownModel && unknown.description.contains("mnist-cnn"))
    }

    @Test func initializationIsSeeded() throws {
        let a = try Model(spec: .mnist2NN, seed: 7), b = try Model(spec: .mnist2NN, seed: 7), c = try Model(spec: .mnist2NN, seed: 8)
        #expect(a.parameters == b.parameters)
        #expect(a.parameters != c.parameters)
        // PyTorch's default bound for fc1: 1/sqrt(784).
        let bound = 1 / Float(784).squareRoot()
        #expect(a.parameters["fc1.weight"]!.scalars.allSatisfy { abs($0) <= bound })
    }

    @Test func forwardRejectsWrongInputShapes() throws {
        let model = try Model(spec: .logisticRegression, seed: 1)
        #expect(throws: NNError.self) { try model.predict(Tensor.zeros([2, 1, 27, 28])) }
    }
}

/// docs/PROTOCOL.md lists the weight names and shapes of every built-in model for the run's
/// data (MNIST-shaped) for workers written in other languages; the list must be what the models
/// have. The literature models follow the naming rules written there, which the PyTorch fixtures
/// and the checkpoint test hold them to.
@Suite("Protocol document")
struct ProtocolDocumentTests {
    @Test func builtInWeightNamesAndShapesAreAsDocumented() throws {
        let doc = try String(contentsOf: URL(fileURLWithPath: "docs/PROTOCOL.md"), encoding: .utf8)
        var documented: [String: [(String, String)]] = [:]
        for line in doc.split(separator: "\n") where line.hasPrefix("| `") && (line.contains(".weight`") || line.contains(".bias`")) {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3 else { continue }
            documented[cells[0].trimmingCharacters(in: ["`"]), default: []].append((cells[1].trimmingCharacters(in: ["`"]), cells[2]))
        }
        for (name, spec) in ModelSpec.builtIn where spec.inputShape == [1, 28, 28] {
            let model = try Model(spec: spec, seed: 1)
            let actual = model.parameters.entries.map { ($0.name, "\($0.tensor.shape)") }
            #expect(documented[name]?.map(\.0) == actual.map(\.0), "\(name): \(actual)")
            #expect(documented[name]?.map(\.1) == actual.map(\.1), "\(name): \(actual)")
        }
    }

    /// The welcome's model JSON as PROTOCOL.md writes it decodes to the model it names.
    @Test func theDocumentedModelJSONIsTheWelcomes() throws {
        let doc = try String(contentsOf: URL(fileURLWithPath: "docs/PROTOCOL.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "`{\"name\": \"logreg\""))
        let end = try #require(doc[start.upperBound...].range(of: "}]}`"))
        let json = doc[doc.index(after: start.lowerBound)..<doc.index(before: end.upperBound)].replacingOccurrences(of: "\n", with: " ")
        #expect(try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8)) == .logisticRegression)
    }
}
