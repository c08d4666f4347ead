import Foundation
import TesseraNN
import Yams

extension TopologyParser {
    /// The text the `model` setting reads for `node`: a declaration written as a mapping (or in
    /// a `.yaml`/`.yml` file the value names, relative to `file`'s folder) as JSON; any other
    /// value as it is.
    ///
    /// - Throws: ``TopologyError`` for a model file that cannot be read or is not YAML.
    static func modelText(_ node: Node, file: String) throws -> String? {
        if node.mapping != nil { return try json(tree(node)) }
        guard let value = node.scalar?.string else { return nil }
        return try modelText(value, relativeTo: file)
    }

    /// `value` as the `model` setting reads it: a YAML model file's declaration as JSON, else
    /// itself. A relative file is found beside `file` (a topology), or in `file` when it is a
    /// directory ending in "/" (the command line's working directory).
    public static func modelText(_ value: String, relativeTo file: String) throws -> String {
        guard value.hasSuffix(".yaml") || value.hasSuffix(".yml") else { return value }
        // `file` is the topology naming the model, or a directory (ending in "/") for the command line.
        let fromCommandLine = file.hasSuffix("/")
        let base = fromCommandLine ? URL(fileURLWithPath: file) : URL(fileURLWithPath: file).deletingLastPathComponent()
        let path = value.hasPrefix("/") || FileManager.default.fileExists(atPath: value) ? value : base.appendingPathComponent(value).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw fromCommandLine ? TopologyError(file: path, line: nil, key: nil, message: "cannot read this model file")
                                  : TopologyError(file: file, line: nil, key: "model", message: "cannot read the model file \(path)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else { throw TopologyError(file: path, line: nil, key: nil, message: "is empty") }
            return try json(tree(node))
        } catch let error as TopologyError {
            throw error
        } catch {
            throw TopologyError(file: path, line: nil, key: nil, message: "is not valid YAML: \(error)")
        }
    }

    /// A YAML node as the plain tree JSON would give: mappings, sequences, whole numbers,
    /// numbers, strings.
    static func tree(_ node: Node) -> Any {
        if let mapping = node.mapping {
            return Dictionary(mapping.map { ($0.key.string ?? "", tree($0.value)) }, uniquingKeysWith: { first, _ in first })
        }
        if let sequence = node.sequence { return sequence.map(tree) }
        let text = node.scalar?.string ?? ""
        if let int = Int(text) { return int }
        if let double = Double(text) { return double }
        if text == "null" || text == "~" || text.isEmpty { return NSNull() }
        return text
    }

    private static func json(_ tree: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys]), as: UTF8.self)
    }
}
