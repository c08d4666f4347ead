import Foundation

/// A directory of CurveZMQ keys, one pair per name: `NAME.pub` (the public key, one line) and
/// `NAME.key` (the secret key, one line, readable by its owner only: mode 0600), and `NAME.sign`
/// (the Ed25519 public key derived from the pair, base64, one line: what a worker's signed
/// secure-aggregation keys are checked against). The scheduler's pair is named `scheduler`;
/// every other `.pub` in the directory is a worker or client the scheduler admits, under its
/// file name. A host needs only its own `.key`, the `.pub` files of the peers it talks to, and
/// the `.sign` files of the workers it aggregates with.
public struct KeyDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// The keys in `url`.
    public init(_ url: URL) {
        self.url = url
    }

    /// The name of the scheduler's pair.
    public static let schedulerName = "scheduler"

    /// Generates a pair for `name` and writes it; refuses to overwrite an existing pair.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for a bad name or an existing pair, or when a
    ///   file cannot be written.
    @discardableResult
    public func generate(_ name: String) throws -> CurveKeyPair {
        try Self.checkName(name)
        let pair = try CurveKeyPair.generate()
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw TransportError(.badKey, "cannot make the key directory: \(FileFailure.describe(error))")
        }
        let secret = url.appendingPathComponent("\(name).key"), shared = url.appendingPathComponent("\(name).pub")
        let signing = url.appendingPathComponent("\(name).sign")
        for file in [secret, shared, signing] where FileManager.default.fileExists(atPath: file.path) {
            throw TransportError(.badKey, "\(file.path) exists; remove it first to make a new key pair for \(name)")
        }
        // Created with 0600 before the secret is written, so it is never readable by others.
        guard FileManager.default.createFile(atPath: secret.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw TransportError(.badKey, "cannot create \(secret.path): \(String(cString: strerror(errno)))")
        }
        do {
            try Data((pair.secretKey + "\n").utf8).write(to: secret)
            try Data((pair.publicKey + "\n").utf8).write(to: shared)
            try Data((try pair.signingPublicKey().base64EncodedString() + "\n").utf8).write(to: signing)
        } catch {
            throw TransportError(.badKey, "cannot write the keys for \(name) in \(url.path): \(error.localizedDescription)")
        }
        return pair
    }

    /// `name`'s key pair, from `NAME.key`.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) when the file is missing, malformed, or readable
    ///   by others (a leaked secret key speaks for its owner).
    public func pair(_ name: String) throws -> CurveKeyPair {
        let file = url.appendingPathComponent("\(name).key")
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path) else {
            throw TransportError(.badKey, "no secret key \(file.path): make one with 'tessera keys generate \(name) --dir \(url.path)'")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw TransportError(.badKey, "\(file.path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        return try CurveKeyPair(secretKey: try Self.line(file))
    }

    /// `name`'s public key, from `NAME.pub`.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) when the file is missing or malformed.
    public func publicKey(_ name: String) throws -> String {
        let file = url.appendingPathComponent("\(name).pub")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw TransportError(.badKey, "no public key \(file.path): copy \(name)'s .pub here (made by 'tessera keys generate \(name)')")
        }
        let key = try Self.line(file)
        try CurveKeyPair.check(key, what: "public key of \(name)")
        return key
    }

    /// Every signing public key (`NAME.sign`, 32 bytes) in the directory, by name.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for a file that is not 32 bytes of base64.
    public func signingKeys() throws -> [String: Data] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        var keys: [String: Data] = [:]
        for file in files where file.hasSuffix(".sign") {
            let path = url.appendingPathComponent(file)
            guard let key = Data(base64Encoded: try Self.line(path)), key.count == 32 else {
                throw TransportError(.badKey, "\(path.path) is not a signing key (32 bytes of base64, as tessera keys generate writes)")
            }
            keys[String(file.dropLast(5))] = key
        }
        return keys
    }

    /// Every public key in the directory but `except`'s, by name: the allowlist of a server.
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for a malformed key file.
    public func publicKeys(except excluded: String) throws -> [String: String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        var keys: [String: String] = [:]
        for file in files where file.hasSuffix(".pub") && file != "\(excluded).pub" {
            let name = String(file.dropLast(4))
            keys[name] = try publicKey(name)
        }
        return keys
    }

    /// The allowlist of a server named `excluded`: every other public key here, mapped to its
    /// name (what a CURVE server admits, ``ChannelSecurity/curveServer(keys:allowed:)``).
    ///
    /// - Throws: ``TransportError`` (`.badKey`) for a malformed key file, or two names holding
    ///   the same key (one key speaks for one peer).
    public func allowlist(except excluded: String) throws -> [String: String] {
        var allowed: [String: String] = [:]
        for (name, key) in try publicKeys(except: excluded).sorted(by: { $0.key < $1.key }) {
            if let other = allowed[key] {
                throw TransportError(.badKey, "\(url.path)/\(name).pub and \(other).pub hold the same key: one key speaks for one peer")
            }
            allowed[key] = name
        }
        return allowed
    }

    /// The first line of `file`, trimmed.
    private static func line(_ file: URL) throws -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw TransportError(.badKey, "cannot read \(file.path)")
        }
        return text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// Names are worker ids: 1-255 bytes, no path separators.
    private static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != ".", name != ".." else {
            throw TransportError(.badKey, "'\(name)' cannot name a key pair (1-255 bytes, no '/')")
        }
    }
}
