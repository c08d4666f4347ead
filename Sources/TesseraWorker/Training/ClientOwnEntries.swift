import Synchronization
import TesseraNN

/// The entries of the model that stay on this client across rounds (FedBN's batch
/// normalization, ``/TesseraNN/LocalNormalization``): none until the client first trains, then its own
/// values after each task. Shared by the copies of a ``LocalTrainer`` (a task runs on a copy,
/// on its own thread). Kept in memory: a worker that restarts starts again from the global values.
final class ClientOwnEntries: Sendable {
    /// The names kept.
    let names: Set<String>
    private let values = Mutex<ParameterSet?>(nil)

    /// Keeps the entries `names`.
    init(names: Set<String>) {
        self.names = names
    }

    /// `global` with this client's own values of the kept entries, once it has some.
    func applied(to global: ParameterSet) throws -> ParameterSet {
        guard !names.isEmpty, let own = values.withLock({ $0 }) else { return global }
        return try global.replacing(names, from: own)
    }

    /// Keeps the kept entries of `trained`.
    func keep(from trained: ParameterSet) {
        guard !names.isEmpty else { return }
        values.withLock { $0 = trained }
    }
}
