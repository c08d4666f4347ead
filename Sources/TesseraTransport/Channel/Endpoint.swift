/// The endpoint forms Tessera's channels accept, checked before a socket sees them (libzmq
/// would only say "Invalid argument").
public enum Endpoint {
    /// How to write one, for error messages.
    public static let form = "an endpoint like tcp://HOST:PORT or ipc:///PATH"

    /// Whether `text` is `tcp://HOST:PORT` (HOST may be `*`, PORT 0-65535), `ipc://PATH`, or
    /// `local://NAME` (in-process).
    public static func isValid(_ text: String) -> Bool {
        for scheme in ["ipc://", "local://"] where text.hasPrefix(scheme) { return text.count > scheme.count }
        guard text.hasPrefix("tcp://") else { return false }
        let rest = text.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":"), colon != rest.startIndex,
              let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else { return false }
        return true
    }

    /// Whether `text` only listens on or reaches this machine: `ipc://`, `local://`, or
    /// `tcp://` to 127.0.0.0/8, `localhost` or `[::1]`. `tcp://*`, `0.0.0.0` and other
    /// addresses reach further.
    public static func isLoopback(_ text: String) -> Bool {
        if text.hasPrefix("ipc://") || text.hasPrefix("local://") { return true }
        guard text.hasPrefix("tcp://") else { return false }
        let rest = text.dropFirst("tcp://".count)
        // The port's colon is looked for after the scheme's ("tcp://x" has none).
        guard let colon = rest.lastIndex(of: ":") else { return false }
        let host = rest[..<colon]
        return host.hasPrefix("127.") || host == "localhost" || host == "[::1]"
    }

    /// `text` as libzmq takes it: `tcp://localhost:PORT` as `tcp://127.0.0.1:PORT` (libzmq
    /// would look for a network interface named "localhost" to bind, and fail with "No such
    /// device"); anything else as it is.
    static func forLibzmq(_ text: String) -> String {
        text.hasPrefix("tcp://localhost:") ? "tcp://127.0.0.1:" + text.dropFirst("tcp://localhost:".count) : text
    }

    /// Whether `text` is `tcp://` to an IPv6 address (`tcp://[::1]:PORT`): its socket needs
    /// libzmq's IPv6 turned on.
    static func isIPv6(_ text: String) -> Bool {
        text.hasPrefix("tcp://[")
    }
}
