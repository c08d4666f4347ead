import Synchronization

/// A clock that stops while its owner was not listening: the time a process spent paused
/// (SIGSTOP, a suspended laptop) or starved of the CPU does not count, so a peer's silence is
/// measured only against time the process could have heard it.
///
/// The owner's loop calls ``attend(turnLasting:)`` each time it comes back to listen, with the
/// longest it means to be away before it comes back again (its receive timeout). Between two
/// calls the clock runs at most that long plus ``tolerance``; what the owner stays away beyond
/// is skipped. So a pause anywhere in a turn, even right after the owner came back and before it
/// reads the time to judge a peer, is never held against the peer. Thread-safe.
public final class AttendedClock: MonotonicClock {
    /// Seconds of lateness per turn of the loop that still count as listening (handling a
    /// message, a busy machine's scheduling delay).
    public let tolerance: Double
    private let base: any MonotonicClock
    /// Guards the turn in progress (when it began on the base clock, how long it may last) and
    /// the seconds skipped so far.
    private let state: Mutex<(turnStart: Double, turnLength: Double, skipped: Double)>

    /// A clock reading `base` minus the time not listened, allowing `tolerance` seconds of
    /// lateness per turn.
    public init(_ base: any MonotonicClock = SystemClock(), tolerance: Double = 1) {
        self.base = base
        self.tolerance = tolerance
        state = Mutex((base.now, 0, 0))
    }

    /// The base clock less the time skipped, never more than the turn in progress allows.
    public var now: Double {
        let reading = base.now
        return state.withLock { state in
            min(reading, state.turnStart + state.turnLength + tolerance) - state.skipped
        }
    }

    /// Notes that the owner is back to listen and that the turn it begins may last `seconds`
    /// (its longest wait for a message); returns the seconds the turn just ended overran its
    /// length and the tolerance (now skipped), 0 when none.
    @discardableResult
    public func attend(turnLasting seconds: Double) -> Double {
        let reading = base.now
        return state.withLock { state in
            let late = reading - state.turnStart - state.turnLength - tolerance
            state.turnStart = reading
            state.turnLength = max(0, seconds)
            guard late > 0 else { return 0 }
            state.skipped += late
            return late
        }
    }

    /// Seconds skipped so far.
    public var skipped: Double { state.withLock { $0.skipped } }
}
