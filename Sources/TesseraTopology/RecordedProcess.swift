import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which process a run's `status.json` names as running it, beyond its number: the boot it runs
/// in and when in that boot it started. Numbers are reused (and start over at a reboot), so a
/// run recorded as running by a number that a later process now has was interrupted, and may be
/// resumed. Compared exactly, not by the wall clock, which a paused machine's may jump.
struct RecordedProcess: Codable, Sendable, Equatable {
    /// `/proc/sys/kernel/random/boot_id`: this boot's.
    var boot: String
    /// When the process started, in clock ticks after boot (`/proc/PID/stat`'s 22nd field).
    var start: UInt64

    /// This process; nil without `/proc`.
    static var current: RecordedProcess? { of(getpid()) }

    /// Process `pid` of this boot; nil when it is gone, or without `/proc`.
    static func of(_ pid: Int32) -> RecordedProcess? {
        guard let fields = statFields(of: pid), fields.count > 19, let start = UInt64(fields[19]),
              let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        return RecordedProcess(boot: boot.trimmingCharacters(in: .whitespacesAndNewlines), start: start)
    }

    /// Whether process `pid` of this host exists, has not exited (a zombie has), and is
    /// `recorded` (when a record says which it is; records written before they did, and
    /// machines without `/proc`, go by the number alone).
    static func isRunning(_ pid: Int32, as recorded: RecordedProcess?) -> Bool {
        // EPERM: a process of another user's holds the number; taken as running.
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        if statFields(of: pid)?.first == "Z" { return false }
        guard let recorded, let now = of(pid) else { return true }
        return now == recorded
    }

    /// The fields of `/proc/PID/stat` after the command's name (which may hold spaces and
    /// parentheses): the state first, the start 20th; nil without `/proc`.
    private static func statFields(of pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }
}
