import Synchronization
import TesseraData
import TesseraWire

/// A run's data and every client's share of it, loaded once: the clients one process hosts
/// (`tessera worker --clients N`) are welcomed with the same run but their own index, and each
/// takes its shard from this instead of reading the data and splitting it again.
public final class SharedPartition: Sendable {
    /// The data as the run's configuration names it.
    let data: DataCatalog
    /// Every client's share, by client index.
    let shares: ClientShares
    /// The configuration it was made from.
    let configuration: ClientConfiguration

    /// Loads the data `configuration` names and splits it among its clients.
    ///
    /// - Throws: ``/TesseraData/DataError`` when the data cannot be loaded or split.
    public init(_ configuration: ClientConfiguration) throws {
        self.configuration = configuration
        // Only the labels (and client column) are read now; samples as each share is taken.
        data = try DataCatalog(try DataSource.locate(explicit: configuration.data == "auto" ? nil : configuration.data),
                               options: configuration.dataOptions, seed: configuration.seed)
        shares = try ClientShare.all(labels: data.labels, naturalClients: data.naturalClients, partition: configuration.partitionStrategy,
                                     clients: configuration.clients, seed: configuration.seed,
                                     heldOutFraction: configuration.heldOutFraction)
    }

    /// The configuration of client `index` of its run: this one's, whose text and lists the
    /// clients of a process then share, with that index.
    func configuration(forClient index: Int) -> ClientConfiguration {
        var own = configuration
        own.clientIndex = index
        return own
    }

    /// Whether `configuration` is this partition's run, for whichever client.
    func splits(_ configuration: ClientConfiguration) -> Bool {
        self.configuration(forClient: configuration.clientIndex) == configuration
    }
}

/// The one ``SharedPartition`` the clients of a process use, made by the first welcome and
/// made again only when a welcome names another run's data or split.
public final class PartitionCache: ClientAdmission {
    private let current = Mutex<SharedPartition?>(nil)

    /// An empty cache.
    public init() {}

    /// The partition for `configuration`, loaded if the cache holds another run's.
    ///
    /// - Throws: ``/TesseraData/DataError`` when the data cannot be loaded or split.
    public func partition(for configuration: ClientConfiguration) throws -> SharedPartition {
        if let cached = current.withLock({ $0 }), cached.splits(configuration) { return cached }
        let partition = try SharedPartition(configuration)
        current.withLock { $0 = partition }
        return partition
    }

    /// Checks `configuration` for a client that keeps no trainer while idle, loading its
    /// run's partition if the cache holds another.
    ///
    /// - Throws: as ``LocalTrainer/init(configuration:partition:)``, without reading samples.
    public func admit(_ configuration: ClientConfiguration) throws {
        try LocalTrainer.checkSettings(of: configuration)
        try LocalTrainer.check(configuration, against: try partition(for: configuration))
    }

    /// The cached partition's configuration (its text and lists shared) with client `index`.
    ///
    /// - Throws: ``WorkerError`` when no client was admitted yet.
    public func configuration(ofClient index: Int) throws -> ClientConfiguration {
        guard let partition = current.withLock({ $0 }) else {
            throw WorkerError.notJoined(worker: "client \(index)", kind: "train task")
        }
        return partition.configuration(forClient: index)
    }
}
