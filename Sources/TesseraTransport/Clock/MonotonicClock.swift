import Foundation
import Synchronization

/// Where a process reads the time for deadlines, timeouts and durations: seconds on a
/// monotonic timeline (only differences mean anything). Injected wherever time is read, so
/// tests advance time by hand and a simulation can run on virtual time.
public protocol MonotonicClock: Sendable {
    /// Seconds since an arbitrary fixed origin.
    var now: Double { get }
}

/// The machine's monotonic clock (`CLOCK_MONOTONIC`: unaffected by wall-clock changes).
public struct SystemClock: MonotonicClock {
    /// The system clock.
    public init() {}

    public var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// A clock that moves only when told: tests step through deadlines and timeouts without
/// sleeping. Thread-safe.
public final class ManualClock: MonotonicClock {
    private let seconds: Mutex<Double>

    /// A clock reading `start` seconds.
    public init(start: Double = 0) {
        seconds = Mutex(start)
    }

    public var now: Double { seconds.withLock { $0 } }

    /// Moves the clock forward by `interval` seconds (never backward).
    public func advance(by interval: Double) {
        seconds.withLock { $0 += max(0, interval) }
    }
}
