import DequeModule

/// A process hosting many clients lets at most ``limit`` of their registrations wait for the
/// scheduler's answer at a time; the others wait their turn, in the order they asked, and go
/// out as answers come. A million clients registering at once would otherwise queue a million
/// messages on the scheduler's connection (hundreds of megabytes, kept by the allocator long
/// after) and as many replies on the way back.
struct RegistrationWindow {
    /// Registrations unanswered at a time, per process.
    static let limit = 1_000

    /// Clients whose registration went out and is unanswered.
    private var waiting: Set<Int> = []
    /// Clients waiting their turn, in order, and the same as a set.
    private var queue = Deque<Int>()
    private var queued: Set<Int> = []

    /// Whether client `index` waits for an answer to a registration that went out.
    func isWaiting(_ index: Int) -> Bool { waiting.contains(index) }

    /// Client `index` wants to register: whether its registration may go out now (a retry of
    /// one that went out may); otherwise it waits its turn (once, however often it asks).
    mutating func mayRegister(_ index: Int) -> Bool {
        if waiting.contains(index) { return true }
        if queued.contains(index) { return false }
        guard waiting.count < Self.limit else {
            queue.append(index)
            queued.insert(index)
            return false
        }
        waiting.insert(index)
        return true
    }

    /// Client `index` waits no more (answered, away, dismissed): the clients whose turn came,
    /// in order, their registrations to go out now.
    mutating func settled(_ index: Int) -> [Int] {
        guard waiting.remove(index) != nil else { return [] }
        var turn: [Int] = []
        while waiting.count < Self.limit, let next = queue.popFirst() {
            queued.remove(next)
            waiting.insert(next)
            turn.append(next)
        }
        return turn
    }
}
