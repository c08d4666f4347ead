import ArgumentParser
import Foundation
import TesseraNN
import TesseraTopology

/// `tessera model NAME|FILE`: a model's layers, output shapes and parameter counts.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Print a model's layers with their output shapes and parameter counts (exit 1 when it does not fit).",
        discussion: "NAME is a built-in model (mnist-cnn, mnist-2nn, logreg); FILE a YAML or JSON declaration of input and layers (docs/TOPOLOGY.md, \"Your own model\").")

    @Argument(help: "A built-in model's name, or a YAML or JSON file declaring one.")
    var model: String

    func run() throws {
        let spec: ModelSpec
        do {
            let text = try TopologyParser.modelText(model, relativeTo: FileManager.default.currentDirectoryPath + "/")
            spec = try ModelDeclaration.spec(fromText: text.hasSuffix(".json") ? String(contentsOfFile: text, encoding: .utf8) : text)
        } catch {
            FileHandle.standardError.write(Data("Error: \(model): \(error)\n".utf8))
            throw ExitCode(1)
        }
        for line in try Self.lines(spec) { print(line) }
    }

    /// The summary's lines: a table of the layers, then the totals.
    static func lines(_ spec: ModelSpec) throws -> [String] {
        var table = TextTable(["layer", "kind", "output", "parameters"])
        table.append(["input", "", spec.inputShape.map(String.init).joined(separator: "×"), ""])
        let rows = try spec.summary()
        for row in rows {
            table.append([String(repeating: "  ", count: row.depth) + row.name, row.kind, row.outputShape.map(String.init).joined(separator: "×"), row.parameters.formatted()])
        }
        return ["model \(spec.name)"] + table.lines + ["\(spec.parameterCount.formatted()) parameters"]
    }
}
