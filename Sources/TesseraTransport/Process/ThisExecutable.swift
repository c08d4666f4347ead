import Foundation

/// The file this process runs from, for starting more of it (workers, benchmark peers) and for
/// writing it into batch scripts. Read from `/proc/self/exe`, not from `argv[0]`: a command found
/// on `PATH` has only its name there (`tessera`), which names nothing in the working directory.
public enum ThisExecutable {
    /// The running executable's absolute path, symbolic links resolved.
    public static let url: URL = {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        // Without /proc: the path the process was started with, when it has one.
        return Bundle.main.executableURL?.resolvingSymlinksInPath()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
    }()
}
