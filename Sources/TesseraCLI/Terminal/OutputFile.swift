import Foundation

/// A command that could not do its work, with the reason as a sentence (exit status 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

/// Writes `data` to the file at `path`, atomically.
///
/// - Throws: ``CommandFailure`` naming the file and why (no such directory, not writable).
func writeOutput(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw CommandFailure(description: "cannot write \(path): there is no directory \(folder.path)")
    }
    do { try data.write(to: url, options: .atomic) } catch {
        throw CommandFailure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
