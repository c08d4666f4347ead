import Foundation
/// A value given for a setting: one piece of text (a topology scalar, a command-line value) or a
/// list (a topology sequence; on the command line, comma-separated text).
public enum SettingInput: Sendable, Equatable {
    case text(String)
    case list([String])
}

/// One setting of a run: its dotted topology key, its command-line flag, what it accepts, what
/// it means, how it is read into `Root` (checked on the way in) and how it is shown. Topology
/// parsing, command-line options, `--help`, `tessera check` and the documentation test all read
/// the same tables (``RunSettings/table``, the launcher's), so a setting exists once.
public struct Setting<Root> {
    /// The dotted topology key, e.g. `training.lr`.
    public let key: String
    /// The command-line flag without dashes, e.g. `lr` for `--lr`.
    public let flag: String
    /// What it accepts, for people: `number > 0`, `iid | dirichlet | shards`.
    public let accepts: String
    /// What it means, one sentence.
    public let summary: String
    /// Whether the flag takes no value on the command line (`--resume`).
    public let isSwitch: Bool
    let assign: (inout Root, SettingInput) throws -> Void
    let show: (Root) -> String
    /// For list settings, the entries in `root` as text, each as it is read back.
    public private(set) var items: ((Root) -> [String])?

    /// The value in `root` as text (as `tessera check` and the documentation show it).
    public func value(in root: Root) -> String { show(root) }

    /// Reads `input` into `root`.
    ///
    /// - Throws: ``SettingError`` naming this key, the value and what is allowed.
    public func apply(_ input: SettingInput, to root: inout Root) throws {
        try assign(&root, input)
    }

    /// A setting read from text by `parse` (nil: the text is not acceptable).
    public static func parsed<Value>(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, Value>, accepts: String,
                                     summary: String, isSwitch: Bool = false, show: @escaping (Value) -> String,
                                     parse: @escaping (String) -> Value?) -> Setting {
        Setting(key: key, flag: flag ?? Self.flag(for: key), accepts: accepts, summary: summary, isSwitch: isSwitch,
                assign: { root, input in
                    guard case let .text(text) = input else {
                        throw SettingError(key: key, message: "must be a single value (\(accepts)), not a list")
                    }
                    guard let value = parse(text) else { throw SettingError(key: key, value: text, message: "must be \(accepts)") }
                    root[keyPath: path] = value
                }, show: { show($0[keyPath: path]) })
    }

    /// A whole number of at least `minimum`.
    public static func integer(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, Int>, minimum: Int,
                               accepts: String? = nil, summary: String) -> Setting {
        parsed(key, flag: flag, path, accepts: accepts ?? "a whole number ≥ \(minimum)", summary: summary, show: String.init) {
            Int($0).flatMap { $0 >= minimum ? $0 : nil }
        }
    }

    /// A finite number for which `isValid` holds.
    public static func number(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, Double>, accepts: String,
                              summary: String, isValid: @escaping (Double) -> Bool) -> Setting {
        parsed(key, flag: flag, path, accepts: accepts, summary: summary, show: { String($0) }) {
            Double($0).flatMap { $0.isFinite && isValid($0) ? $0 : nil }
        }
    }

    /// Text for which `isValid` holds.
    public static func text(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, String>, accepts: String = "text",
                            summary: String, isValid: @escaping (String) -> Bool = { _ in true }) -> Setting {
        parsed(key, flag: flag, path, accepts: accepts, summary: summary, show: { $0 }) { isValid($0) ? $0 : nil }
    }

    /// One of an enumeration's raw values.
    public static func choice<Value: RawRepresentable & CaseIterable>(_ key: String, flag: String? = nil,
                                                                     _ path: WritableKeyPath<Root, Value>,
                                                                     summary: String) -> Setting where Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        return parsed(key, flag: flag, path, accepts: names.joined(separator: " | "), summary: summary, show: { $0.rawValue }) {
            Value(rawValue: $0)
        }
    }

    /// true or false; on the command line the flag alone means true.
    public static func boolean(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, Bool>, summary: String) -> Setting {
        parsed(key, flag: flag, path, accepts: "true | false", summary: summary, isSwitch: true, show: { String($0) }) {
            switch $0.lowercased() {
            case "true", "yes", "on": true
            case "false", "no", "off": false
            default: nil
            }
        }
    }

    /// A list of text (a YAML sequence, or comma-separated text).
    public static func list(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, [String]>, summary: String) -> Setting {
        Setting(key: key, flag: flag ?? Self.flag(for: key), accepts: "a list of text", summary: summary, isSwitch: false,
                assign: { root, input in
                    switch input {
                    case let .list(items): root[keyPath: path] = items
                    case let .text(text): root[keyPath: path] = text.split(separator: ",").map(String.init)
                    }
                }, show: { "[" + $0[keyPath: path].joined(separator: ", ") + "]" }, items: { $0[keyPath: path] })
    }

    /// A list whose every entry `parse` reads (returning why not, for an entry it refuses); on
    /// the command line, entries are separated by `separator`.
    public static func parsedList<Item>(_ key: String, flag: String? = nil, _ path: WritableKeyPath<Root, [Item]>, accepts: String,
                                        summary: String, separator: Character = ",", show: @escaping (Item) -> String,
                                        parse: @escaping (String) -> Result<Item, SettingError>) -> Setting {
        Setting(key: key, flag: flag ?? Self.flag(for: key), accepts: accepts, summary: summary, isSwitch: false,
                assign: { root, input in
                    let entries: [String] = switch input {
                    case let .list(items): items
                    case let .text(text): text.split(separator: separator).map { $0.trimmingCharacters(in: .whitespaces) }
                    }
                    root[keyPath: path] = try entries.map { entry in
                        try parse(entry).mapError { SettingError(key: key, value: entry, message: $0.message) }.get()
                    }
                }, show: { "[" + $0[keyPath: path].map(show).joined(separator: "; ") + "]" }, items: { $0[keyPath: path].map(show) })
    }

    /// The flag for a key: its last part, dashes for underscores (`training.batch_size` → `batch-size`).
    static func flag(for key: String) -> String {
        String(key.split(separator: ".").last ?? "").replacingOccurrences(of: "_", with: "-")
    }
}

/// A table of settings: looked up by key or flag, with a nearest-name hint for typos.
public struct SettingTable<Root> {
    /// The settings, in documentation order.
    public let settings: [Setting<Root>]

    /// A table of `settings`.
    public init(_ settings: [Setting<Root>]) {
        self.settings = settings
    }

    /// The setting with `key`.
    public func setting(key: String) -> Setting<Root>? { settings.first { $0.key == key } }

    /// The setting with `flag`.
    public func setting(flag: String) -> Setting<Root>? { settings.first { $0.flag == flag } }
}

extension Setting {
    /// This setting on a value inside `Outer` (a topology's run settings).
    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root>) -> Setting<Outer> {
        let (assign, show, items) = (assign, show, items)
        return Setting<Outer>(key: key, flag: flag, accepts: accepts, summary: summary, isSwitch: isSwitch,
                              assign: { outer, input in try assign(&outer[keyPath: path], input) },
                              show: { show($0[keyPath: path]) }, items: items.map { items in { items($0[keyPath: path]) } })
    }
}

extension SettingTable {
    /// The table's settings on a value inside `Outer`.
    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root>) -> [Setting<Outer>] {
        settings.map { $0.lifted(path) }
    }

    /// Every dotted prefix of a key (`training` for `training.lr`): the sections of a topology.
    public var sections: Set<String> {
        Set(settings.flatMap { setting in
            let parts = setting.key.split(separator: ".")
            return (1..<max(1, parts.count)).map { parts.prefix($0).joined(separator: ".") }
        })
    }
}
