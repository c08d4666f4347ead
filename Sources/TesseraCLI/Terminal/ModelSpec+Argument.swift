import ArgumentParser
import Foundation
import TesseraNN
import TesseraTopology

/// `--model NAME|FILE` for the built-in models or a declaration: ArgumentParser lists the
/// built-ins in `--help`, completes them, and names them when the value is neither.
extension ModelSpec: ExpressibleByArgument {
    public init?(argument: String) {
        guard let spec = try? ModelSpec.declared(argument) else { return nil }
        self = spec
    }

    /// The model `value` names on the command line: a built-in, a YAML or JSON file (relative
    /// to the working directory), or JSON.
    ///
    /// - Throws: ``/TesseraTopology/TopologyError`` for an unreadable file, ``/TesseraNN/NNError`` for a declaration that does not fit.
    static func declared(_ value: String) throws -> ModelSpec {
        let text = try TopologyParser.modelText(value, relativeTo: FileManager.default.currentDirectoryPath + "/")
        return try ModelDeclaration.spec(fromText: text.hasSuffix(".json") ? String(contentsOfFile: text, encoding: .utf8) : text)
    }

    public var defaultValueDescription: String { name }

    public static var allValueStrings: [String] { builtIn.keys.sorted() }
}
