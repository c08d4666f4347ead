import Foundation

/// Child processes through `posix_spawn` and `waitpid`, with the default signal mask and
/// dispositions. Foundation's `Process` passes on the parent's blocked signals (a test runner
/// blocks SIGTERM), and can miss a short child's exit while long-running children run (it stays
/// a zombie and `waitUntilExit` never returns); the launcher's key copies and the tests' sshd
/// use this instead.
public enum ChildProcess {
    /// Starts `tool` with `arguments`: stdin from `input` (a descriptor, duplicated; nil:
    /// /dev/null), stdout to /dev/null, stderr appended to `errorLog` (nil: inherited). Returns
    /// its pid; the caller waits for it with ``wait(_:)``.
    ///
    /// - Throws: ``TopologyError`` when it cannot be started.
    public static func start(_ tool: String, _ arguments: [String], input: Int32? = nil, closing: [Int32] = [],
                             errorLog: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input { posix_spawn_file_actions_adddup2(&actions, input, 0) } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        for descriptor in closing { posix_spawn_file_actions_addclose(&actions, descriptor) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        if let errorLog { posix_spawn_file_actions_addopen(&actions, 2, errorLog, O_WRONLY | O_CREAT | O_APPEND, 0o644) }
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
        let result = posix_spawn(&pid, tool, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw TopologyError(file: tool, line: nil, key: nil, message: "cannot be started: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits for `pid` and returns its exit status (128 + the signal when a signal ended it).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Runs `tool` to its end with `input` written to its stdin, and returns its exit status.
    ///
    /// - Throws: ``TopologyError`` when it cannot be started.
    public static func run(_ tool: String, _ arguments: [String], input: Data) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw TopologyError(file: tool, line: nil, key: nil, message: "cannot be started: pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let pid: pid_t
        do {
            pid = try start(tool, arguments, input: readEnd, closing: [writeEnd])
        } catch {
            close(readEnd)
            close(writeEnd)
            throw error
        }
        close(readEnd)
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
        return wait(pid)
    }
}
