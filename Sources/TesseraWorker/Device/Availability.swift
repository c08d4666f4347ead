import TesseraTensor

/// A simulated device that comes and goes, as a phone that goes out of reach would: after each
/// training task it leaves with probability `leave` (its update is lost; in a secure round it
/// leaves after sending its masked input, which the others' shares then unmask) for `away` seconds,
/// and it is away during each of the `offline` windows (seconds since it started; an update in
/// training then is lost too). While away it is silent (the scheduler takes it for lost after
/// its heartbeat timeout); back, it registers again.
public struct Availability: Sendable {
    /// Probability of leaving after a training task, in [0, 1].
    public let leave: Double
    /// Seconds away each time it leaves.
    public let away: Double
    /// When it is away by schedule, in seconds since it started.
    public let offline: [ClosedRange<Double>]
    private var generator: SeededGenerator

    /// A device that leaves with probability `leave` for `away` seconds and is away during
    /// `offline`, its draws from `seed`.
    public init(leave: Double, away: Double, offline: [ClosedRange<Double>] = [], seed: UInt64) {
        self.leave = leave
        self.away = away
        self.offline = offline
        generator = SeededGenerator(seed: seed)
    }

    /// The same device, drawing from `seed` instead.
    public func reseeded(_ seed: UInt64) -> Availability {
        Availability(leave: leave, away: away, offline: offline, seed: seed)
    }

    /// Always there.
    public static let always = Availability(leave: 0, away: 0, seed: 0)

    /// The end of the offline window `elapsed` seconds after the start falls in, if any.
    public func scheduledAbsence(at elapsed: Double) -> Double? {
        offline.first { $0.contains(elapsed) }?.upperBound
    }

    /// When the next offline window starts, in seconds since the start: `elapsed` itself when
    /// it falls in one; nil when none is ahead.
    public func nextAbsence(after elapsed: Double) -> Double? {
        if scheduledAbsence(at: elapsed) != nil { return elapsed }
        return offline.map(\.lowerBound).filter { $0 > elapsed }.min()
    }

    /// Whether the device leaves now, after a task.
    public mutating func leaves() -> Bool {
        leave >= 1 || (leave > 0 && Double.random(in: 0..<1, using: &generator) < leave)
    }
}
