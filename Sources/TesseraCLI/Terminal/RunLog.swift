import Foundation

/// The launch's own lines (what it prints, round by round) kept in the run directory beside the
/// workers' logs, so `tessera logs RUN` shows them after the terminal is gone. Best effort: a
/// line that cannot be written (a full disk) is still printed.
final class RunLog {
    private let handle: FileHandle?

    /// Appends to `url` (made, with its directory, if missing).
    init(_ url: URL) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        handle = try? FileHandle(forWritingTo: url)
        _ = try? handle?.seekToEnd()
    }

    deinit {
        try? handle?.close()
    }

    /// Prints `line` (unless `quietly`) and appends it to the log.
    func say(_ line: String, quietly: Bool = false) {
        if !quietly { print(line) }
        try? handle?.write(contentsOf: Data((line + "\n").utf8))
    }
}
