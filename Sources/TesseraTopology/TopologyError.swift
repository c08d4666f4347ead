/// A topology file that cannot be used, with the file, line and key at fault.
public struct TopologyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public let file: String
    /// 1-based line, when known.
    public let line: Int?
    /// The dotted key path (`training.fraction`), when the problem is a key.
    public let key: String?
    /// What is wrong and what is allowed.
    public let message: String

    /// `file:line: key: message`.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(key.map { "\($0): " } ?? "")\(message)"
    }
}
