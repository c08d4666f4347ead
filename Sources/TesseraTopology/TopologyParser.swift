import Foundation
import TesseraNN
import TesseraScheduler
import TesseraTransport
import Yams

/// Reads a topology file: YAML whose keys are those of ``Topology/table`` (unknown keys are
/// errors with the nearest known one, so typos do not silently fall back to defaults), each
/// value read and checked by its setting, then the whole checked together. Every error names
/// the file, line and key.
public enum TopologyParser {
    /// The file `name` means: itself when it exists, else `Topologies/NAME.yaml` (so `smoke`
    /// finds `Topologies/smoke.yaml`), here or, for the default directory, in the checkout the
    /// `tessera` executable was built in (so the binary on `PATH` finds the built-in topologies
    /// from any folder).
    ///
    /// - Throws: ``TopologyError`` naming both places, and the nearest topology name.
    public static func locate(_ name: String, directory: String = "Topologies") throws -> URL {
        do {
            return try locate(name, in: directory)
        } catch {
            // Not here: the built-in ones, whose error lists them and the nearest name.
            guard directory == "Topologies", !name.contains("/"), let bundled = bundledTopologies,
                  bundled.standardizedFileURL != URL(fileURLWithPath: directory).standardizedFileURL else { throw error }
            return try locate(name, in: bundled.path)
        }
    }

    /// The `Topologies` directory of the checkout this executable was built in
    /// (`.build/release/tessera` three levels below it), if there is one.
    static var bundledTopologies: URL? {
        var directory = ThisExecutable.url.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("Topologies")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("smoke.yaml").path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    private static func locate(_ name: String, in directory: String) throws -> URL {
        if FileManager.default.fileExists(atPath: name) { return URL(fileURLWithPath: name) }
        let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        let listed = known.isEmpty ? "" : "; topologies: \(known.sorted().joined(separator: ", "))"
        // A path is only itself; a bare name may also be one of the topologies in `directory`.
        guard !name.contains("/") else {
            let base = (name as NSString).lastPathComponent
            throw TopologyError(file: name, line: nil, key: nil, message: "no such file"
                                + NearestName.hint(for: String(base.dropLast(base.hasSuffix(".yaml") ? 5 : 0)), in: known) + listed)
        }
        let named = URL(fileURLWithPath: directory).appendingPathComponent(name.hasSuffix(".yaml") ? name : "\(name).yaml")
        if FileManager.default.fileExists(atPath: named.path) { return named }
        throw TopologyError(file: name, line: nil, key: nil, message: "no such file, nor \(directory)/\(named.lastPathComponent)"
                            + NearestName.hint(for: name, in: known) + listed)
    }

    /// The topology in `url`.
    ///
    /// - Throws: ``TopologyError``.
    public static func load(_ url: URL, overrides: [String] = []) throws -> Topology {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TopologyError(file: url.path, line: nil, key: nil, message: "cannot be read")
        }
        return try parse(text, file: url.path, overrides: overrides)
    }

    /// The topology in `text` (`file` names it in errors), with command-line `overrides`
    /// (`--FLAG VALUE`, `--set KEY=VALUE`) applied after the file.
    ///
    /// - Throws: ``TopologyError``.
    public static func parse(_ text: String, file: String, overrides: [String] = []) throws -> Topology {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw TopologyError(file: file, line: nil, key: nil, message: "is empty")
            }
            root = node
        } catch let error as TopologyError {
            throw error
        } catch {
            throw TopologyError(file: file, line: nil, key: nil, message: "is not valid YAML: \(error)")
        }
        var topology = Topology()
        topology.name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var lines: [String: Int] = [:]
        try read(root, prefix: "", into: &topology, lines: &lines, file: file)
        do {
            // A YAML model file named on the command line is read like one in the file.
            let overrides = try overrides.enumerated().map { index, argument in
                if index > 0, overrides[index - 1] == "--model" { return try modelText(argument, relativeTo: FileManager.default.currentDirectoryPath + "/") }
                if argument.hasPrefix("model=") { return "model=" + (try modelText(String(argument.dropFirst(6)), relativeTo: FileManager.default.currentDirectoryPath + "/")) }
                return argument
            }
            try CommandLineSettings.apply(overrides, table: Topology.table, to: &topology)
        } catch let error as SettingError {
            throw TopologyError(file: "the command line", line: nil, key: error.key,
                                message: error.message + (error.value.map { ", not '\($0)'" } ?? ""))
        }
        do {
            try topology.validate()
        } catch let error as SettingError {
            throw TopologyError(file: overrides.isEmpty ? file : "\(file) with the command line's settings", line: lines[error.key],
                                key: error.key,
                                message: error.message + (error.value.map { ", not '\($0)'" } ?? ""))
        }
        return topology
    }

    /// Reads the mapping `node` (the section `prefix`) into `topology`, noting each key's line.
    private static func read(_ node: Node, prefix: String, into topology: inout Topology, lines: inout [String: Int],
                             file: String) throws {
        let table = Topology.table
        func error(_ node: Node, _ key: String?, _ message: String) -> TopologyError {
            TopologyError(file: file, line: node.mark.map(\.line), key: key, message: message)
        }
        guard let mapping = node.mapping else {
            throw error(node, prefix.isEmpty ? nil : prefix, "must be a mapping of keys to values")
        }
        let sections = table.sections
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? ""
            let key = prefix.isEmpty ? name : "\(prefix).\(name)"
            lines[key] = keyNode.mark.map(\.line)
            if let setting = table.setting(key: key) {
                let input: SettingInput
                if key == "model", let text = try modelText(value, file: file) {
                    // A declared model: a mapping, or a YAML file, read as JSON.
                    input = .text(text)
                } else if let scalar = value.scalar {
                    input = .text(scalar.string)
                } else if let sequence = value.sequence {
                    input = .list(try sequence.map { item in
                        guard let scalar = item.scalar else { throw error(item, key, "list entries must be plain values") }
                        return scalar.string
                    })
                } else {
                    throw error(value, key, "must be a value (\(setting.accepts)), not a mapping")
                }
                do {
                    try setting.apply(input, to: &topology)
                } catch let problem as SettingError {
                    throw error(value, key, problem.message + (problem.value.map { ", not '\($0)'" } ?? ""))
                }
            } else if sections.contains(key) {
                try read(value, prefix: key, into: &topology, lines: &lines, file: file)
            } else {
                let here = table.settings.map(\.key).filter { prefix.isEmpty ? !$0.contains(".") : $0.hasPrefix(prefix + ".") }
                    + (prefix.isEmpty ? sections.filter { !$0.contains(".") }.sorted() : [])
                let allowed = here.map { prefix.isEmpty ? $0 : String($0.dropFirst(prefix.count + 1)) }
                throw error(keyNode, key, "unknown key" + NearestName.hint(for: key, in: table.settings.map(\.key))
                            + "; allowed here: " + allowed.joined(separator: ", "))
            }
        }
    }
}
