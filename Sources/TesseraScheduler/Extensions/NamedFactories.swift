import Synchronization

/// Factories a program registers by name at start-up and settings look up when read: the one
/// store behind ``StrategyRegistry``, ``SamplerRegistry`` and ``EvaluationHookRegistry``.
final class NamedFactories<Factory: Sendable>: Sendable {
    /// The setting a name selects, for errors.
    let key: String
    /// Names that are built in and cannot be registered.
    let builtIn: [String]
    private let factories = Mutex<[String: Factory]>([:])

    init(key: String, builtIn: [String]) {
        self.key = key
        self.builtIn = builtIn
    }

    /// Registers `make` under `name`, replacing an earlier registration of it.
    func register(_ name: String, _ make: Factory) throws {
        guard !name.isEmpty, !builtIn.contains(name) else {
            throw SettingError(key: key, value: name, message: "cannot be registered: the name is empty or built in")
        }
        factories.withLock { $0[name] = make }
    }

    /// The registered names, sorted.
    var names: [String] { factories.withLock { $0.keys.sorted() } }

    /// The factory registered under `name`.
    func factory(named name: String) -> Factory? { factories.withLock { $0[name] } }

    /// The factory registered under `name`, or a ``SettingError`` saying this program has none.
    func existing(_ name: String) throws -> Factory {
        guard let make = factory(named: name) else {
            throw SettingError(key: key, value: name, message: "is not registered in this program")
        }
        return make
    }
}
