import Synchronization

/// A clock that stops while its owner was not listening: the time a process spent paused
/// (SIGSTOP, a suspended laptop) or starved of the CPU does not count, so a peer's silence is
/// measured only against time the process could have heard it.
///
/// The owner's loop calls ``attend(allowing:)`` each time it comes back to listen, with the
/// seconds it meant to be away (its last receive timeout). Time since the previous call beyond
/// that and ``tolerance`` was not listened: the clock skips it. Thread-safe.
public final class AttendedClock: MonotonicClock {
    /// Seconds of lateness per turn of the loop that still count as listening (handling a
    /// message, a busy machine's scheduling delay).
    public let tolerance: Double
    private let base: any MonotonicClock
    /// Guards the last turn's reading and the seconds skipped so far.
    private let state: Mutex<(lastTurn: Double, skipped: Double)>

    /// A clock reading `base` minus the time not listened, allowing `tolerance` seconds of
    /// lateness per turn.
    public init(_ base: any MonotonicClock = SystemClock(), tolerance: Double = 1) {
        self.base = base
        self.tolerance = tolerance
        state = Mutex((base.now, 0))
    }

    public var now: Double { base.now - state.withLock { $0.skipped } }

    /// Notes that the owner is back to listen after a turn meant to last `allowance` seconds;
    /// returns the seconds it was away beyond that and the tolerance (now skipped), 0 when none.
    @discardableResult
    public func attend(allowing allowance: Double) -> Double {
        let reading = base.now
        return state.withLock { state in
            let late = reading - state.lastTurn - max(0, allowance) - tolerance
            state.lastTurn = reading
            guard late > 0 else { return 0 }
            state.skipped += late
            return late
        }
    }

    /// Seconds skipped so far.
    public var skipped: Double { state.withLock { $0.skipped } }
}
