/// The clock a run's rounds are reckoned on (`simulation.clock`).
public enum SimulationClock: String, Sendable, CaseIterable {
    /// Rounds take the time they take, and the deadline is in seconds of it.
    case wall
    /// Each sampled client's time comes from its simulated device (``VirtualDevices``): a
    /// round lasts until its slowest client or the deadline, in virtual seconds; updates that
    /// would come after it are left out, whenever they really came. Asynchronous modes take
    /// answers in the order their tasks end in virtual time.
    case virtual

    /// Seconds a round on virtual time waits in real time for its clients' answers at least
    /// (a client silent for the heartbeat timeout is lost sooner): which updates count must not
    /// depend on how busy the machine is.
    public static let realWait = 600.0
}
