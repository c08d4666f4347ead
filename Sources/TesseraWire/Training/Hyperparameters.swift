import Foundation

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
