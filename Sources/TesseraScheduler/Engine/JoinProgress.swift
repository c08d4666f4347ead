import Foundation

/// Workers joining the run: the order they are welcomed in (a worker's place is its client
/// index), how far the welcomes got, and the workers still loading their data, by connection.
struct JoinProgress {
    /// At most this many welcomes are unanswered at a time, whatever
    /// `training.max_concurrent_trainers` allows: a million clients welcomed at once would queue
    /// a million configurations on the scheduler's connections.
    static let window = 1_000

    /// The workers to welcome, in client-index order.
    let order: [String]
    /// When joining began.
    let start: Double
    /// When joining gives up on the workers still loading.
    let deadline: Double
    /// How many of `order` were welcomed.
    var next = 0
    /// How many answered their welcome.
    var joined = 0
    /// Welcomed workers that have not answered yet, with the connection each was welcomed on.
    private(set) var loading: [String: Data] = [:]
    /// The connections with welcomed workers that have not answered: how many, and one of them
    /// (the clients of one process are heard from together).
    private(set) var busy: [Data: (count: Int, worker: String)] = [:]

    /// Joining `order` from `start` until `deadline`.
    init(order: [String], start: Double, deadline: Double) {
        self.order = order
        self.start = start
        self.deadline = deadline
    }

    /// `worker` was welcomed on `connection`.
    mutating func started(_ worker: String, on connection: Data) {
        loading[worker] = connection
        busy[connection, default: (0, worker)].count += 1
    }

    /// `worker` answered its welcome, or was given up.
    mutating func settled(_ worker: String) {
        guard let connection = loading.removeValue(forKey: worker), let entry = busy[connection] else { return }
        busy[connection] = entry.count > 1 ? (entry.count - 1, entry.worker) : nil
    }
}
