import HeapModule

/// When each of a driver's clients next needs a ``ClientMachine/tick()``: only those due are
/// ticked, earliest first, so a process hosting a million idle clients spends nothing on them
/// between their events.
struct TickSchedule {
    private struct Entry: Comparable {
        let time: Double
        let client: Int

        static func < (left: Entry, right: Entry) -> Bool {
            (left.time, left.client) < (right.time, right.client)
        }
    }

    private var heap = Heap<Entry>()
    /// Each client's due time (infinity: none); a heap entry that differs is stale.
    private var due: [Double]

    /// A schedule for `count` clients, none due.
    init(count: Int) {
        due = Array(repeating: .infinity, count: count)
    }

    /// Client `client` is next due at `time` (nil: not until a message or a task moves it).
    mutating func set(_ client: Int, to time: Double?) {
        let time = time ?? .infinity
        guard time != due[client] else { return }
        due[client] = time
        if time.isFinite { heap.insert(Entry(time: time, client: client)) }
    }

    /// The earliest due time, if any.
    mutating func earliest() -> Double? {
        dropStale()
        return heap.min?.time
    }

    /// The client due earliest at `now` or before, taken off the schedule; nil when none is due.
    mutating func takeDue(at now: Double) -> Int? {
        dropStale()
        guard let top = heap.min, top.time <= now else { return nil }
        heap.removeMin()
        due[top.client] = .infinity
        return top.client
    }

    private mutating func dropStale() {
        while let top = heap.min, top.time != due[top.client] { heap.removeMin() }
    }
}
