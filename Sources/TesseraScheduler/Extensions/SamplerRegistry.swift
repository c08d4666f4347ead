/// Client samplers a program of one's own adds by name: a topology's `training.sampler: NAME`
/// (or `--sampler NAME`) then chooses each synchronous round's workers with it, in every command
/// of that program, as ``FederatedScheduler/clientSampler`` does in code.
///
/// ```swift
/// try SamplerRegistry.register("largest") { settings in LargestClients() }
/// ```
public enum SamplerRegistry {
    /// Makes the sampler for a run's settings.
    public typealias Factory = @Sendable (RunSettings) throws -> any ClientSampler

    /// The built-in draw's name: `count` workers uniformly without replacement.
    public static let uniform = "uniform"

    static let store = NamedFactories<Factory>(key: "training.sampler", builtIn: [uniform])

    /// Registers `make` under `name`, replacing an earlier registration of it.
    ///
    /// - Throws: ``SettingError`` for a name that is empty or `uniform`.
    public static func register(_ name: String, _ make: @escaping Factory) throws { try store.register(name, make) }

    /// The registered names, sorted.
    public static var names: [String] { store.names }
}
