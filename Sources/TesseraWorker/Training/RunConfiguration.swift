import Foundation
import TesseraData
import TesseraNN

/// What a scheduler tells a worker in its welcome (as JSON): the model, where the data is, how
/// it is split among clients, and which client this worker is.
public struct RunConfiguration: Codable, Sendable, Equatable {
    /// How the dataset is split.
    public enum PartitionKind: String, Codable, Sendable {
        case iid, dirichlet, shards
    }

    /// The architecture to train.
    public var model: ModelSpec
    /// An MNIST directory, "synthetic", or "auto" (the usual search, then synthetic).
    public var data: String
    /// The split strategy.
    public var partition: PartitionKind
    /// Dirichlet alpha (for `dirichlet`).
    public var alpha: Double
    /// Shards per client (for `shards`).
    public var shardsPerClient: Int
    /// How many clients the data is split among.
    public var clients: Int
    /// This worker's client index, `0..<clients`.
    public var clientIndex: Int
    /// Seed of the split (every worker must use the same).
    public var seed: UInt64
    /// Fraction of this client's shard held out from training for federated evaluation
    /// (`0..<1`; 0: none).
    public var heldOutFraction: Double

    /// A configuration.
    public init(model: ModelSpec, data: String, partition: PartitionKind = .iid, alpha: Double = 0.5,
                shardsPerClient: Int = 2, clients: Int, clientIndex: Int, seed: UInt64, heldOutFraction: Double = 0) {
        self.model = model
        self.data = data
        self.partition = partition
        self.alpha = alpha
        self.shardsPerClient = shardsPerClient
        self.clients = clients
        self.clientIndex = clientIndex
        self.seed = seed
        self.heldOutFraction = heldOutFraction
    }

    enum CodingKeys: String, CodingKey {
        case model, data, partition, alpha, shardsPerClient, clients, clientIndex, seed, heldOutFraction
    }

    /// Decodes a configuration; `heldOutFraction` may be absent (0).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(ModelSpec.self, forKey: .model)
        data = try container.decode(String.self, forKey: .data)
        partition = try container.decode(PartitionKind.self, forKey: .partition)
        alpha = try container.decode(Double.self, forKey: .alpha)
        shardsPerClient = try container.decode(Int.self, forKey: .shardsPerClient)
        clients = try container.decode(Int.self, forKey: .clients)
        clientIndex = try container.decode(Int.self, forKey: .clientIndex)
        seed = try container.decode(UInt64.self, forKey: .seed)
        heldOutFraction = try container.decodeIfPresent(Double.self, forKey: .heldOutFraction) ?? 0
    }

    /// The configuration as JSON text.
    public func json() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    /// Parses a welcome's configuration.
    ///
    /// - Throws: `DecodingError` for malformed JSON.
    public init(json: String) throws {
        self = try JSONDecoder().decode(RunConfiguration.self, from: Data(json.utf8))
    }

    /// The `Partition` this configuration names.
    public var strategy: Partition {
        switch partition {
        case .iid: .iid
        case .dirichlet: .dirichlet(alpha: alpha)
        case .shards: .labelShards(shardsPerClient: shardsPerClient)
        }
    }
}

/// Local training settings sent with each train task (as JSON).
public struct Hyperparameters: Codable, Sendable, Equatable {
    /// Passes over the local data.
    public var epochs: Int
    /// Batch size.
    public var batchSize: Int
    /// SGD learning rate.
    public var learningRate: Float
    /// FedProx's μ (0: none).
    public var proximalMu: Float

    /// Settings for a round.
    public init(epochs: Int = 1, batchSize: Int = 32, learningRate: Float = 0.05, proximalMu: Float = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.proximalMu = proximalMu
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, proximalMu
    }

    /// Decodes settings; `proximalMu` may be absent (0).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try container.decode(Int.self, forKey: .epochs)
        batchSize = try container.decode(Int.self, forKey: .batchSize)
        learningRate = try container.decode(Float.self, forKey: .learningRate)
        proximalMu = try container.decodeIfPresent(Float.self, forKey: .proximalMu) ?? 0
    }
}
