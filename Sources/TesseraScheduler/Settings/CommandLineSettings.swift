import TesseraNN
/// Settings given on a command line: `--FLAG VALUE`, `--FLAG=VALUE` (flags from the table,
/// `--resume` alone for switches) and `--set KEY=VALUE` (dotted topology keys), read with the
/// same checks and messages as a topology file. A value is taken as it is, so `--lr -0.05`
/// reaches the check (and its message) instead of looking like an option.
public enum CommandLineSettings {
    /// Applies `arguments`, in order, to `root`.
    ///
    /// - Throws: ``SettingError`` for an unknown flag or key (with the nearest known one), a
    ///   missing value, or a value the setting does not accept.
    public static func apply<Root>(_ arguments: [String], table: SettingTable<Root>, to root: inout Root) throws {
        var index = 0
        func nextValue(for name: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw SettingError(key: "--\(name)", message: "needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw SettingError(key: argument, message: "unexpected argument (settings are given as --FLAG VALUE or --set KEY=VALUE)")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if name == "set" {
                let assignment = try value ?? nextValue(for: "set")
                guard let equals = assignment.firstIndex(of: "=") else {
                    throw SettingError(key: "--set", value: assignment, message: "needs KEY=VALUE, e.g. --set training.rounds=5")
                }
                let key = String(assignment[..<equals])
                guard let setting = table.setting(key: key) else {
                    throw SettingError(key: key, message: "unknown key" + NearestName.hint(for: key, in: table.settings.map(\.key)))
                }
                try setting.apply(.text(String(assignment[assignment.index(after: equals)...])), to: &root)
            } else {
                guard let setting = table.setting(flag: name) else {
                    throw SettingError(key: "--\(name)", message: "unknown option"
                                       + NearestName.hint(for: name, in: table.settings.map(\.flag), prefix: "--"))
                }
                if value == nil && setting.isSwitch && (index + 1 == arguments.count || arguments[index + 1].hasPrefix("--")) {
                    value = "true"
                }
                try setting.apply(.text(try value ?? nextValue(for: name)), to: &root)
            }
            index += 1
        }
    }

    /// The settings of `table` as help text, wrapped to `width` columns: per flag, its key and
    /// its value in `defaults`, then what it means and accepts.
    public static func help<Root>(_ table: SettingTable<Root>, defaults: Root, width: Int = 78) -> String {
        table.settings.map { setting in
            let value = setting.value(in: defaults)
            let head = "  --\(setting.flag)  \(setting.key)" + (value.isEmpty ? "" : " (default \(value))")
            return ([head] + wrap("\(setting.summary); \(setting.accepts)", width: width - 6).map { "      " + $0 })
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return line.isEmpty ? lines : lines + [line]
    }
}
