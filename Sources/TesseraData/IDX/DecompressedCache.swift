import Foundation

/// Decompressed copies of gzipped data files. Every worker of a run reads the same MNIST, and
/// inflating its 10 MB of training images takes a quarter of a second per process; with the
/// cache only the first process pays it, the rest read the plain bytes (milliseconds).
///
/// Entries live in `$TESSERA_CACHE` (`off` disables the cache), else
/// `$XDG_CACHE_HOME/tessera/decompressed`, else `~/.cache/tessera/decompressed`, named after the
/// source's file name, size and modification time, so a changed source is decompressed again.
/// The cache is only an optimization: an entry that cannot be written or read back is ignored,
/// and entries are written to a temporary name and renamed, so a reader never sees half a file.
public struct DecompressedCache: Sendable {
    /// The directory entries are kept in; nil disables the cache.
    public let directory: URL?

    /// A cache in `directory` (nil: disabled).
    public init(directory: URL?) {
        self.directory = directory
    }

    /// The cache the environment configures (see the type's description).
    public static var standard: DecompressedCache {
        DecompressedCache(directory: standardDirectory(environment: ProcessInfo.processInfo.environment))
    }

    /// The configured cache directory, or nil when disabled.
    static func standardDirectory(environment: [String: String]) -> URL? {
        if let configured = environment["TESSERA_CACHE"], !configured.isEmpty {
            return configured == "off" ? nil : URL(fileURLWithPath: configured)
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("tessera/decompressed")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/tessera/decompressed")
    }

    /// Where the decompressed copy of `source` is kept, or nil (cache disabled, or the source's
    /// size and date cannot be read).
    public func entry(for source: URL) -> URL? {
        guard let directory,
              let attributes = try? FileManager.default.attributesOfItem(atPath: source.path),
              let size = attributes[.size] as? Int,
              let modified = attributes[.modificationDate] as? Date
        else { return nil }
        let stamp = Int((modified.timeIntervalSince1970 * 1000).rounded())
        let name = source.deletingPathExtension().lastPathComponent
        return directory.appendingPathComponent("\(name)-\(size)-\(stamp)")
    }

    /// The cached bytes of `source`, if present.
    func read(for source: URL) -> Data? {
        guard let entry = entry(for: source) else { return nil }
        return try? Data(contentsOf: entry, options: .mappedIfSafe)
    }

    /// Keeps `data` as the decompressed copy of `source`; failures are ignored.
    func store(_ data: Data, for source: URL) {
        guard let entry = entry(for: source) else { return }
        let directory = entry.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(entry.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try data.write(to: temporary)
            if rename(temporary.path, entry.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// Drops the cached copy of `source` (it did not parse).
    func remove(for source: URL) {
        guard let entry = entry(for: source) else { return }
        try? FileManager.default.removeItem(at: entry)
    }
}
