/// A strategy by name with its parameters, as topologies and the command line give them.
public struct StrategyChoice: Sendable, Equatable {
    /// The names accepted.
    public static let names = ["fedavg", "fedavgm", "fedprox", "fedadam", "fedyogi"]

    /// The strategy's name.
    public var name: String
    /// Server learning rate (fedavgm, fedadam, fedyogi); nil: the strategy's default.
    public var serverLearningRate: Float?
    /// Server momentum (fedavgm).
    public var serverMomentum: Float
    /// FedProx μ, applied on the clients.
    public var mu: Float

    /// A choice; throws ``SchedulerError`` for an unknown name or negative settings.
    public init(name: String, serverLearningRate: Float? = nil, serverMomentum: Float = 0.9, mu: Float = 0.01) throws {
        guard Self.names.contains(name) else {
            throw SchedulerError.unknownStrategy(name, known: Self.names)
        }
        guard (serverLearningRate ?? 1) > 0, serverMomentum >= 0, serverMomentum < 1, mu >= 0 else {
            throw SchedulerError.invalidConfiguration("server learning rate must be positive, momentum in [0, 1), mu >= 0")
        }
        self.name = name
        self.serverLearningRate = serverLearningRate
        self.serverMomentum = serverMomentum
        self.mu = mu
    }

    /// The server-side strategy.
    public func makeStrategy() -> any AggregationStrategy {
        switch name {
        case "fedavgm": FedAvgM(serverLearningRate: serverLearningRate ?? 1, momentum: serverMomentum)
        case "fedadam": AdaptiveServerOptimizer(rule: .adam, serverLearningRate: serverLearningRate ?? 0.01)
        case "fedyogi": AdaptiveServerOptimizer(rule: .yogi, serverLearningRate: serverLearningRate ?? 0.01)
        default: FedAvg()
        }
    }

    /// The proximal coefficient clients use (FedProx only).
    public var clientMu: Float { name == "fedprox" ? mu : 0 }
}
