import TesseraTensor

/// A simulated device that comes and goes: after each training task it leaves with probability
/// `leave` — its update is lost, it falls silent for `away` seconds (the scheduler takes it for
/// lost) and then registers again, as a phone that went out of reach would.
public struct Availability: Sendable {
    /// Probability of leaving after a training task, in [0, 1).
    public let leave: Double
    /// Seconds away each time.
    public let away: Double
    private var generator: SeededGenerator

    /// A device that leaves with probability `leave` for `away` seconds, its draws from `seed`.
    public init(leave: Double, away: Double, seed: UInt64) {
        self.leave = leave
        self.away = away
        generator = SeededGenerator(seed: seed)
    }

    /// Always there.
    public static let always = Availability(leave: 0, away: 0, seed: 0)

    /// Whether the device leaves now, after a task.
    public mutating func leaves() -> Bool {
        leave > 0 && Double.random(in: 0..<1, using: &generator) < leave
    }
}
