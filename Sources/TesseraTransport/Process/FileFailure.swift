import Foundation

/// Why a file operation failed, as a sentence with the system's own cause: Foundation on Linux
/// says only "The operation could not be completed. (NSCocoaErrorDomain error 512.)", which
/// hid a run that died because a connection flood had taken every file descriptor.
public enum FileFailure {
    /// The cause of `error`: the errno behind it (with the descriptor count when the process is
    /// out of them), else its own description.
    public static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        let posix = (nsError.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil }
            ?? (nsError.domain == NSPOSIXErrorDomain ? Int32(nsError.code) : nil)
        guard let code = posix else {
            // "The operation could not be completed. The file doesn't exist.": the second sentence says it.
            let text = nsError.localizedDescription
            let prefix = "The operation could not be completed. "
            return text.hasPrefix(prefix) && text.count > prefix.count ? String(text.dropFirst(prefix.count)) : text
        }
        let text = String(cString: strerror(code))
        guard code == EMFILE || code == ENFILE else { return text }
        return "\(text): this process has \(openDescriptors().map(String.init) ?? "all") of its \(DescriptorLimit.current) file descriptors open (connections take one each)"
    }

    /// `error` in a sentence: a Foundation file or system error as the path it concerns and the
    /// system's cause ("Topologies: No such file or directory"), anything else as it describes
    /// itself. Foundation's own text on Linux is a raw `Error Domain=NSCocoaErrorDomain …`.
    public static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        guard nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain else { return "\(error)" }
        let path = nsError.userInfo[NSFilePathErrorKey] as? String ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
        return (path.map { "\($0): " } ?? "") + reason(error)
    }

    /// How many descriptors this process has open (/proc/self/fd), if it can tell.
    static func openDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { $0.count - 1 }
    }
}
