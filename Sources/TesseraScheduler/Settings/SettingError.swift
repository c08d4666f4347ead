/// A setting that cannot be used: an unknown key or flag, a value of the wrong type or out of
/// range, or settings that contradict each other. Names the key, shows the value, says what is
/// allowed and, for a typo, the nearest known name.
public struct SettingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted key (`training.lr`), or the flag or key as given when it is unknown.
    public let key: String
    /// The value given, when there was one.
    public let value: String?
    /// What is wrong and what is allowed.
    public let message: String

    /// An error about `key`.
    public init(key: String, value: String? = nil, message: String) {
        self.key = key
        self.value = value
        self.message = message
    }

    /// `training.lr: must be a number > 0, not '-0.05'`.
    public var description: String {
        "\(key): \(message)" + (value.map { ", not '\($0)'" } ?? "")
    }
}
