import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process a run's `status.json` names as running it, and whether that process still runs:
/// a run whose process is gone (killed, or the machine rebooted) was interrupted and may be
/// resumed.
enum RecordedProcess {
    /// Whether process `pid` of this host exists, has not exited (a zombie has), and is the
    /// one that recorded the run at `started`: a process started later under the same number
    /// (the numbers are reused, and start over at a reboot) is not. Without `/proc`, whether a
    /// process of that number exists.
    static func isRunning(_ pid: Int32, recordedAt started: Date) -> Bool {
        // EPERM: a process of another user's holds the number; taken as running.
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let begun = startTime(of: pid) else { return !isZombie(pid) }
        // A second's slack: /proc counts in clock ticks since boot, and a status records whole
        // seconds. The recording process started before it wrote the status.
        return !isZombie(pid) && begun <= started.timeIntervalSince1970 + 2
    }

    /// The fields of `/proc/PID/stat` after the command's name (which may hold spaces and
    /// parentheses): the state first; nil without `/proc`.
    private static func statFields(of pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// Whether `pid` has exited and not yet been waited for (state `Z`).
    private static func isZombie(_ pid: Int32) -> Bool {
        statFields(of: pid)?.first == "Z"
    }

    /// When `pid` started, in seconds since 1970: its start in clock ticks after boot
    /// (`/proc/PID/stat`'s 22nd field, the 20th after the name) plus the boot time
    /// (`/proc/stat`'s `btime`); nil without `/proc`.
    private static func startTime(of pid: Int32) -> Double? {
        guard let fields = statFields(of: pid), fields.count > 19, let ticks = Double(fields[19]),
              let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(line.dropFirst("btime ".count)) else { return nil }
        let perSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return perSecond > 0 ? boot + ticks / perSecond : nil
    }
}
