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
        #expect(Self.fixtures.count >= 16)
    }

    /// `actual` is within 1e-4 of `expected`'s largest magnitude, everywhere.
    static func expectClose(_ actual: [Float], _ expected: [Float], _ what: String, fixture: String) {
        #expect(actual.count == expected.count, "\(fixture): \(what) has \(actual.count) values, PyTorch \(expected.count)")
        let scale = max(expected.map(abs).max() ?? 0, 1e-6)
        let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(error <= 1e-4 * scale, "\(fixture): \(what) differs from PyTorch by \(error) (largest value \(scale))")
    }

    @Test(arguments: fixtures)
    func forwardAndGradientsAgreeWithPyTorch(_ fixture: Fixture) throws {
        let spec = try ModelDeclaration.spec(fromText: fixture.model.text)
        let parameters = try ParameterSet(fixture.parameters.map { name, parameter in
            (name: name, tensor: try Tensor(parameter.values, shape: parameter.shape).requiringGrad())
        })
        // Built with the fixture's names and shapes: the naming is PyTorch's state-dict naming here.
        let model = try Model(spec: spec, seed: 0)
        #expect(Set(model.parameters.names) == Set(fixture.parameters.keys), "\(fixture.name)")
        let input = try Tensor(fixture.input, shape: [fixture.batch] + spec.inputShape).requiringGrad()
        var context = ForwardContext(training: true)
        let output = try model.forward(input, parameters: parameters, context: &context)
        #expect(output.shape == fixture.outputShape, "\(fixture.name)")
        Self.expectClose(output.scalars, fixture.output, "output", fixture: fixture.name)
        try output.backward(seed: Tensor(fixture.outputGradient, shape: output.shape))
        // Token indices get no gradient (PyTorch's are zeros).
        Self.expectClose(input.grad?.scalars ?? [Float](repeating: 0, count: input.count), fixture.inputGradient, "input gradient",
                         fixture: fixture.name)
        for (name, parameter) in fixture.parameters {
            Self.expectClose(parameters[name]?.grad?.scalars ?? [], parameter.gradient, "\(name) gradient", fixture: fixture.name)
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
