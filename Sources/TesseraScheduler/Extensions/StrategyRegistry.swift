/// Strategies a program of one's own adds by name beside the built-in ones. A topology's
/// `training.strategy: NAME` (or `--strategy NAME`) then selects one, in every command of that
/// program: `check`, `launch`, `scheduler` (`examples/custom-strategy` registers FedNova and calls
/// `Tessera.runAsMain()`).
///
/// ```swift
/// try StrategyRegistry.register("fednova") { settings in
///     FedNova(localEpochs: settings.localEpochs, batchSize: settings.batchSize)
/// }
/// ```
public enum StrategyRegistry {
    /// Makes the strategy for a run's settings (its hyperparameters, its seed).
    public typealias Factory = @Sendable (RunSettings) throws -> any AggregationStrategy

    static let store = NamedFactories<Factory>(key: "training.strategy", builtIn: RunSettings.Strategy.allCases.map(\.rawValue))

    /// Registers `make` under `name`, replacing an earlier registration of it.
    ///
    /// - Throws: ``SettingError`` for a name that is empty or a built-in strategy's.
    public static func register(_ name: String, _ make: @escaping Factory) throws { try store.register(name, make) }

    /// The registered names, sorted.
    public static var names: [String] { store.names }
}
