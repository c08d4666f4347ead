/// Workers joining the run: the order they are welcomed in (a worker's place is its client
/// index), how far the welcomes got, and the workers still loading their data.
struct JoinProgress {
    /// At most this many welcomes are unanswered at a time, whatever
    /// `training.max_concurrent_trainers` allows: a million clients welcomed at once would queue
    /// a million configurations on the scheduler's connections.
    static let window = 1_000

    /// The workers to welcome, in client-index order.
    let order: [String]
    /// When joining gives up on the workers still loading.
    let deadline: Double
    /// How many of `order` were welcomed.
    var next = 0
    /// Welcomed workers that have not answered yet.
    var loading: Set<String> = []

    /// Joining `order`, until `deadline`.
    init(order: [String], deadline: Double) {
        self.order = order
        self.deadline = deadline
    }
}
