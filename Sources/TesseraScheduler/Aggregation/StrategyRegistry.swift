import Synchronization

/// Strategies a program of one's own adds by name beside the built-in ones. A topology's
/// `training.strategy: NAME` (or `--strategy NAME`) then selects one, in every command of that
/// program: `check`, `launch`, `scheduler` (`examples/custom-strategy` registers FedNova and calls
/// `Tessera.runAsMain()`).
///
/// ```swift
/// StrategyRegistry.register("fednova") { settings in
///     FedNova(localEpochs: settings.localEpochs, batchSize: settings.batchSize)
/// }
/// ```
public enum StrategyRegistry {
    /// Makes the strategy for a run's settings (its hyperparameters, its seed).
    public typealias Factory = @Sendable (RunSettings) throws -> any AggregationStrategy

    /// The registered factories by name (one lock: registration happens at start-up, lookups
    /// when settings are read).
    private static let factories = Mutex<[String: Factory]>([:])

    /// Registers `make` under `name`, replacing an earlier registration of it.
    ///
    /// - Throws: ``SettingError`` for a name that is empty or a built-in strategy's.
    public static func register(_ name: String, _ make: @escaping Factory) throws {
        guard !name.isEmpty, RunSettings.Strategy(rawValue: name) == nil else {
            throw SettingError(key: "training.strategy", value: name, message: "cannot be registered: the name is empty or built in")
        }
        factories.withLock { $0[name] = make }
    }

    /// The registered names, sorted.
    public static var names: [String] { factories.withLock { $0.keys.sorted() } }

    /// The factory registered under `name`.
    static func factory(named name: String) -> Factory? { factories.withLock { $0[name] } }
}
