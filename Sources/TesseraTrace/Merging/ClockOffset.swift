/// How far one process's wall clock is ahead of the reference process's, estimated from the
/// messages they exchanged: a message takes no negative time, so each message from the
/// reference bounds the offset from above and each message to it from below; the estimate is
/// the middle of the tightest bounds and ``error`` half their width (the NTP idea, over every
/// message rather than one exchange).
public struct ClockOffset: Sendable, Equatable {
    /// Seconds to subtract from the process's times to put them on the reference clock.
    public var seconds: Double
    /// Bound on the estimate's error in seconds; nil when messages went only one way (or not
    /// at all), so one side is unbounded.
    public var error: Double?
    /// Messages the estimate rests on.
    public var messages: Int
    /// The process the estimate was made against (the reference, or a process aligned to it).
    public var via: String?

    /// The reference itself.
    public static let reference = ClockOffset(seconds: 0, error: 0, messages: 0, via: nil)
}

/// The tightest delay bounds between two processes: the smallest `received - sent` (raw wall
/// times) seen on their messages in each direction.
struct DelayBounds {
    /// Smallest raw `received - sent` of messages from the first to the second, and their count.
    var forward = (minimum: Double.infinity, count: 0)
    /// The same for messages from the second to the first.
    var backward = (minimum: Double.infinity, count: 0)

    /// Notes a message from the first process to the second that took `delay` raw seconds.
    mutating func note(forward delay: Double) {
        forward = (min(forward.minimum, delay), forward.count + 1)
    }

    /// Notes a message from the second process to the first.
    mutating func note(backward delay: Double) {
        backward = (min(backward.minimum, delay), backward.count + 1)
    }

    /// The offset of the second process given the first's: between `first - backward` and
    /// `first + forward`.
    func offset(after first: ClockOffset, via name: String) -> ClockOffset {
        let upper = forward.count > 0 ? first.seconds + forward.minimum : nil
        let lower = backward.count > 0 ? first.seconds - backward.minimum : nil
        let messages = forward.count + backward.count
        switch (lower, upper) {
        case let (lower?, upper?):
            // Bounds that cross (a clock stepped during the run) still give their middle; the
            // error then says how far they disagree.
            return ClockOffset(seconds: (lower + upper) / 2, error: abs(upper - lower) / 2 + (first.error ?? 0), messages: messages, via: name)
        case let (lower?, nil): return ClockOffset(seconds: lower, error: nil, messages: messages, via: name)
        case let (nil, upper?): return ClockOffset(seconds: upper, error: nil, messages: messages, via: name)
        case (nil, nil): return ClockOffset(seconds: first.seconds, error: nil, messages: 0, via: name)
        }
    }
}
