import Foundation

/// Runs a short command whose standard input carries data (a secret key to put on a host),
/// through `posix_spawn` and `waitpid`: Foundation's `Process` can miss such a child's exit
/// while the launcher's long-running ssh children run (the child stays a zombie and
/// `waitUntilExit` never returns), and it passes on the parent's blocked signals.
enum RemoteInput {
    /// Runs `tool` with `arguments`, writes `input` to its stdin and closes it, and returns the
    /// exit status (-1 when it died of a signal). Its stdout goes to /dev/null, stderr is ours.
    ///
    /// - Throws: ``TopologyError`` when it cannot be started.
    static func run(_ tool: String, _ arguments: [String], input: Data) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw failure(tool, "pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = posix_spawn(&pid, tool, &actions, &attributes, argv, environ)
        close(readEnd)
        guard started == 0 else {
            close(writeEnd)
            throw failure(tool, String(cString: strerror(started)))
        }
        input.withUnsafeBytes { bytes in
            var offset = 0
            while let base = bytes.baseAddress, offset < bytes.count {
                let written = write(writeEnd, base + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { break }
                offset += written
            }
        }
        close(writeEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
    }

    private static func failure(_ tool: String, _ reason: String) -> TopologyError {
        TopologyError(file: tool, line: nil, key: nil, message: "cannot be started: \(reason)")
    }
}
