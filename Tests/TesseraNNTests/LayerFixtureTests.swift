import Foundation
import Testing
import TesseraTensor
@testable import TesseraNN

/// Every layer kind against PyTorch: small declared models run forward on random inputs and
/// parameters, then backward from a random output gradient; outputs and the gradients of the
/// input and of every parameter agree with PyTorch's (float64) to 1e-4 of the largest value
/// (Fixtures/layers.json, written by scripts/layer_fixtures.py).
@Suite("Layers against PyTorch")
struct LayerFixtureTests {
    struct Fixture: Decodable, CustomTestStringConvertible, Sendable {
        struct Parameter: Decodable, Sendable {
            let shape: [Int]
            let values: [Float]
            let gradient: [Float]
        }
        let name: String
        let model: ModelJSON
        let batch: Int
        let input: [Float]
        let outputGradient: [Float]
        let outputShape: [Int]
        let output: [Float]
        let inputGradient: [Float]
        let parameters: [String: Parameter]
        /// Batch normalization's running statistics: before, and after the training pass.
        let buffers: [String: Buffer]?
        /// The output in evaluation mode (running statistics), for models with buffers.
        let evalOutput: [Float]?

        struct Buffer: Decodable, Sendable {
            let shape: [Int]
            let values: [Float]
            let updated: [Float]
        }

        var testDescription: String { name }
    }

    /// The declaration, kept as its JSON text.
    struct ModelJSON: Decodable, Sendable {
        let text: String
        init(from decoder: Decoder) throws {
            text = try String(decoding: JSONSerialization.data(withJSONObject: AnyJSON(from: decoder).value, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    static let fixtures: [Fixture] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/layers.json")
        struct File: Decodable { let cases: [Fixture] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return (try? decoder.decode(File.self, from: Data(contentsOf: url)).cases) ?? []
    }()

    @Test func theFixturesAreThere() {
        #expect(Self.fixtures.count >= 21)
    }

    /// `actual` is within 1e-4 of `expected`'s largest magnitude, everywhere; of `floor` at
    /// least, for values that are zero in exact arithmetic (the gradient of a bias that feeds
    /// batch normalization, which removes it), measured on the scale of their neighbours.
    static func expectClose(_ actual: [Float], _ expected: [Float], _ what: String, fixture: String, floor: Float = 1e-6) {
        #expect(actual.count == expected.count, "\(fixture): \(what) has \(actual.count) values, PyTorch \(expected.count)")
        let scale = max(expected.map(abs).max() ?? 0, floor)
        let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(error <= 1e-4 * scale, "\(fixture): \(what) differs from PyTorch by \(error) (largest value \(scale))")
    }

    @Test(arguments: fixtures)
    func forwardAndGradientsAgreeWithPyTorch(_ fixture: Fixture) throws {
        let spec = try ModelDeclaration.spec(fromText: fixture.model.text)
        let buffers = fixture.buffers ?? [:]
        let parameters = try ParameterSet(fixture.parameters.map { name, parameter in
            (name: name, tensor: try Tensor(parameter.values, shape: parameter.shape).requiringGrad())
        } + buffers.map { name, buffer in (name: name, tensor: try Tensor(buffer.values, shape: buffer.shape)) })
        // Built with the fixture's names and shapes: the naming is PyTorch's state-dict naming here.
        let model = try Model(spec: spec, seed: 0)
        #expect(Set(model.parameters.names) == Set(fixture.parameters.keys).union(buffers.keys), "\(fixture.name)")
        #expect(model.bufferNames == Set(buffers.keys), "\(fixture.name)")
        let input = try Tensor(fixture.input, shape: [fixture.batch] + spec.inputShape).requiringGrad()
        if let expected = fixture.evalOutput {
            var evaluation = ForwardContext(training: false)
            let output = try GradMode.withoutGradients { try model.forward(input, parameters: parameters, context: &evaluation) }
            Self.expectClose(output.scalars, expected, "evaluation-mode output", fixture: fixture.name)
            #expect(evaluation.updatedBuffers.isEmpty, "\(fixture.name): evaluation moved running statistics")
        }
        var context = ForwardContext(training: true)
        let output = try model.forward(input, parameters: parameters, context: &context)
        #expect(output.shape == fixture.outputShape, "\(fixture.name)")
        Self.expectClose(output.scalars, fixture.output, "output", fixture: fixture.name)
        let updated = Dictionary(context.updatedBuffers.map { ($0.name, $0.tensor.scalars) }, uniquingKeysWith: { $1 })
        #expect(Set(updated.keys) == Set(buffers.keys), "\(fixture.name)")
        for (name, buffer) in buffers {
            Self.expectClose(updated[name] ?? [], buffer.updated, "\(name) after the training pass", fixture: fixture.name)
        }
        try output.backward(seed: Tensor(fixture.outputGradient, shape: output.shape))
        // Token indices get no gradient (PyTorch's are zeros).
        Self.expectClose(input.grad?.scalars ?? [Float](repeating: 0, count: input.count), fixture.inputGradient, "input gradient",
                         fixture: fixture.name)
        let largestGradient = fixture.parameters.values.flatMap(\.gradient).map(abs).max() ?? 0
        for (name, parameter) in fixture.parameters {
            Self.expectClose(parameters[name]?.grad?.scalars ?? [], parameter.gradient, "\(name) gradient", fixture: fixture.name,
                             floor: max(1e-6, largestGradient * 1e-2))
        }
    }
}

/// Any JSON value, decoded into Foundation's types for `JSONSerialization`.
private struct AnyJSON: Decodable {
    let value: Any

    init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !array.isAtEnd { items.append(try array.decode(AnyJSON.self).value) }
            value = items
        } else if let object = try? decoder.container(keyedBy: Key.self) {
            value = try Dictionary(uniqueKeysWithValues: object.allKeys.map { ($0.stringValue, try object.decode(AnyJSON.self, forKey: $0).value) })
        } else {
            let single = try decoder.singleValueContainer()
            if let int = try? single.decode(Int.self) { value = int }
            else if let double = try? single.decode(Double.self) { value = double }
            else { value = try single.decode(String.self) }
        }
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
