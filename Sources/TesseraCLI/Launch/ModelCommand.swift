import ArgumentParser
import Foundation
import TesseraNN
import TesseraTopology

/// `tessera model NAME|FILE`: a model's layers, output shapes and parameter counts.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Print a model's layers with their output shapes and parameter counts (exit 1 when it does not fit).",
        discussion: "NAME is a built-in model (mnist-cnn, mnist-2nn, logreg, resnet20-gn, shakespeare-lstm, tabular-mlp); FILE a YAML or JSON declaration of input and layers (docs/TOPOLOGY.md, \"Your own model\").")

    @Argument(help: "A built-in model's name, or a YAML or JSON file declaring one.")
    var model: String

    @Flag(help: "Print the model's declaration as JSON instead (every size written out: a template for your own).")
    var declaration = false

    func run() throws {
        let spec: ModelSpec
        do {
            spec = try ModelSpec.declared(model)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error is TopologyError ? "" : "\(model): ")\(error)\n".utf8))
            throw ExitCode(1)
        }
        if declaration {
            print(ModelDeclaration.json(for: spec))
        } else {
            for line in try Self.lines(spec) { print(line) }
        }
    }

    /// The summary's lines: a table of the layers, then the totals.
    static func lines(_ spec: ModelSpec) throws -> [String] {
        var table = TextTable(["layer", "kind", "output", "parameters"])
        table.append(["input", "", spec.inputShape.map(String.init).joined(separator: "×"), ""])
        let rows = try spec.summary()
        for row in rows {
            table.append([String(repeating: "  ", count: row.depth) + row.name, row.kind, row.outputShape.map(String.init).joined(separator: "×"), row.parameters.formatted()])
        }
        return ["model \(spec.name)"] + table.lines + ["\(spec.parameterCount.formatted()) parameters" + (spec.bufferCount > 0 ? ", and \(spec.bufferCount.formatted()) values of running statistics" : "")]
    }
}
