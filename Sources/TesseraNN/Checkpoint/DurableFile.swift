import Foundation

/// Writes a whole file so that a crash, a full disk or a power cut leaves either the old file or
/// the new one, never a mix: the bytes go to `NAME.tmp` beside it, are flushed to the disk
/// (`fsync`), and the temporary file is renamed over `NAME`.
enum DurableFile {
    /// Replaces the file at `url` with `data`.
    ///
    /// - Throws: ``NNError`` (`.writeFailed`) naming the file and the system's reason (a full
    ///   disk, permissions); the previous file is then unchanged and the temporary one removed.
    static func write(_ data: Data, to url: URL) throws {
        let temporary = url.path + ".tmp"
        func failure(_ operation: String) -> NNError {
            NNError(.writeFailed, "cannot write \(url.path) (\(operation) \(temporary): \(String(cString: strerror(errno))))")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("open") }
        var written = 0
        let result: NNError? = data.withUnsafeBytes { bytes -> NNError? in
            while let base = bytes.baseAddress, written < bytes.count {
                let count = Foundation.write(descriptor, base + written, bytes.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return failure("write")
                }
                written += count
            }
            return fsync(descriptor) == 0 ? nil : failure("fsync")
        }
        close(descriptor)
        if let result {
            unlink(temporary)
            throw result
        }
        guard rename(temporary, url.path) == 0 else {
            let error = failure("rename")
            unlink(temporary)
            throw error
        }
    }
}
