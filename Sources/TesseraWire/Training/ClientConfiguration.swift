import Foundation
import TesseraData
import TesseraNN

/// What a scheduler tells a worker in its welcome (as JSON, keys as in `docs/PROTOCOL.md`): the
/// model, where the data is, how it is split among clients, and which client this worker is.
public struct ClientConfiguration: Codable, Sendable, Equatable {
    /// How the dataset is split.
    public enum PartitionKind: String, Codable, Sendable, CaseIterable {
        case iid, dirichlet, shards, natural
        case powerLaw = "power-law"
    }

    /// The architecture to train.
    public var model: ModelSpec
    /// An MNIST directory, a data file (`.npz`, `.safetensors`, `.csv`), "synthetic",
    /// "synthetic-images", "synthetic-text", or "auto" (the usual search, then synthetic).
    public var data: String
    /// How the data is read: normalization, test fraction, natural clients' minimum, CSV columns.
    public var dataOptions: DataOptions
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
    /// What of batch normalization stays on the client (FedBN).
    public var localNormalization: LocalNormalization

    /// A configuration.
    public init(model: ModelSpec, data: String, dataOptions: DataOptions = DataOptions(), partition: PartitionKind = .iid,
                alpha: Double = 0.5, shardsPerClient: Int = 2, clients: Int, clientIndex: Int, seed: UInt64,
                heldOutFraction: Double = 0, localNormalization: LocalNormalization = .none) {
        self.model = model
        self.data = data
        self.dataOptions = dataOptions
        self.partition = partition
        self.alpha = alpha
        self.shardsPerClient = shardsPerClient
        self.clients = clients
        self.clientIndex = clientIndex
        self.seed = seed
        self.heldOutFraction = heldOutFraction
        self.localNormalization = localNormalization
    }

    enum CodingKeys: String, CodingKey {
        case model, data, dataOptions, partition, alpha, shardsPerClient, clients, clientIndex, seed, heldOutFraction, localNormalization
    }

    /// Decodes a configuration; `dataOptions` (the defaults), `heldOutFraction` (0) and
    /// `localNormalization` (none) may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(ModelSpec.self, forKey: .model)
        data = try container.decode(String.self, forKey: .data)
        dataOptions = try container.decodeIfPresent(DataOptions.self, forKey: .dataOptions) ?? DataOptions()
        partition = try container.decode(PartitionKind.self, forKey: .partition)
        alpha = try container.decode(Double.self, forKey: .alpha)
        shardsPerClient = try container.decode(Int.self, forKey: .shardsPerClient)
        clients = try container.decode(Int.self, forKey: .clients)
        clientIndex = try container.decode(Int.self, forKey: .clientIndex)
        seed = try container.decode(UInt64.self, forKey: .seed)
        heldOutFraction = try container.decodeIfPresent(Double.self, forKey: .heldOutFraction) ?? 0
        localNormalization = try container.decodeIfPresent(LocalNormalization.self, forKey: .localNormalization) ?? .none
    }

    /// The configuration as JSON text, its keys sorted (the same configuration is always the
    /// same text).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Parses a welcome's configuration.
    ///
    /// - Throws: `DecodingError` for malformed JSON.
    public init(json: String) throws {
        self = try JSONDecoder().decode(ClientConfiguration.self, from: Data(json.utf8))
    }
}
