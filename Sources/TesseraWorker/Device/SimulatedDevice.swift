/// The device a client simulates on this machine: how much slower it trains and when it is
/// there. Beside ``/TesseraTransport/SimulatedLinkChannel`` (its network), it is the rest of a
/// heterogeneous federation's simulation; the ``ClientMachine`` applies it on its clock, so
/// nothing sleeps.
public struct SimulatedDevice: Sendable {
    /// Extra seconds each training task takes (`--slow`).
    public var extraSeconds: Double
    /// How many times slower than this machine it trains (`--slowdown`): a task that computed
    /// for t seconds here is answered (slowdown − 1) × t seconds later (1: not slowed).
    public var slowdown: Double
    /// Whether it comes and goes.
    public var availability: Availability

    /// A device `slowdown` times slower than this machine, `extraSeconds` more per training
    /// task, there as `availability` says.
    public init(extraSeconds: Double = 0, slowdown: Double = 1, availability: Availability = .always) {
        self.extraSeconds = extraSeconds
        self.slowdown = slowdown
        self.availability = availability
    }

    /// Seconds a training task that computed for `seconds` here is held back before its answer
    /// goes out.
    public func holdBack(afterComputing seconds: Double) -> Double {
        max(0, extraSeconds) + max(0, slowdown - 1) * max(0, seconds)
    }
}
