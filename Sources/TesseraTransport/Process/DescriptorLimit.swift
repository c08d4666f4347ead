import Foundation

/// The open-file limit of this process: every connection a bound channel accepts holds a file
/// descriptor, as do the run's files, so a scheduler raises its soft limit to the hard limit at
/// start (the usual 1,024 is the soft one) and keeps some for its files.
public enum DescriptorLimit {
    /// Raises the soft open-file limit to the hard one; returns the limit now in force.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Descriptors kept for a process's files (traces, metrics, checkpoints, logs, libraries).
    public static let reserved = 256

    /// How many connections a bound channel keeps: the open-file limit (raised to the hard
    /// one) less ``reserved``, and at least 16.
    public static func connectionLimit() -> Int {
        max(16, raise() - reserved)
    }

    /// The soft open-file limit now.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        return Int(clamping: limit.rlim_cur)
    }
}
