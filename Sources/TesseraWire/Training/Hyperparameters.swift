import Foundation

/// Local training settings sent with each train task (as JSON).
public struct Hyperparameters: Codable, Sendable, Equatable {
    /// Passes over the local data.
    public var epochs: Int
    /// Batch size.
    public var batchSize: Int
    /// The local optimizer's learning rate (this round's, when the run has a schedule).
    public var learningRate: Float
    /// The local optimizer: `sgd`, `adam` or `adamw`.
    public var optimizer: String
    /// SGD's momentum (0: none).
    public var momentum: Float
    /// Weight decay: L2 for `sgd` and `adam`, decoupled for `adamw` (0: none).
    public var weightDecay: Float
    /// Each local step's gradients scaled down to this total L2 norm when above it (0: none).
    public var gradientClip: Float
    /// FedProx's μ (0: none).
    public var proximalMu: Float
    /// Differential privacy: the L2 norm the worker clips its change to, before adding local
    /// noise if any (0: none); a clipped update counts once in a secure sum.
    public var localClip: Float
    /// Local differential privacy: the noise the worker adds to its clipped change, in clips.
    public var localNoise: Float
    /// Secure aggregation: the shares that rebuild a secret (0: the update is sent in the
    /// clear); with it the worker answers with its keys and the protocol's steps.
    public var secureThreshold: Int
    /// Secure aggregation, SecAgg+: the neighbours each worker shares its secrets and masks with
    /// (0: every other participant).
    public var secureNeighbours: Int
    /// How the update goes back: `float32` (the trained model) or `bfloat16` (its change from
    /// the task's model, rounded to bfloat16, as a delta update). A worker may always answer
    /// with a float32 model.
    public var updatePrecision: String

    /// Settings for a round.
    public init(epochs: Int = 1, batchSize: Int = 32, learningRate: Float = 0.05, optimizer: String = "sgd", momentum: Float = 0,
                weightDecay: Float = 0, gradientClip: Float = 0, proximalMu: Float = 0,
                localClip: Float = 0, localNoise: Float = 0, secureThreshold: Int = 0, secureNeighbours: Int = 0,
                updatePrecision: String = "float32") {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.gradientClip = gradientClip
        self.proximalMu = proximalMu
        self.localClip = localClip
        self.localNoise = localNoise
        self.secureThreshold = secureThreshold
        self.secureNeighbours = secureNeighbours
        self.updatePrecision = updatePrecision
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, optimizer, momentum, weightDecay, gradientClip, proximalMu, localClip, localNoise, secureThreshold, secureNeighbours
        case updatePrecision
    }

    /// Decodes settings; all but `epochs`, `batchSize` and `learningRate` may be absent
    /// (`optimizer` then `sgd`, `updatePrecision` `float32`, the others 0).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try container.decode(Int.self, forKey: .epochs)
        batchSize = try container.decode(Int.self, forKey: .batchSize)
        learningRate = try container.decode(Float.self, forKey: .learningRate)
        optimizer = try container.decodeIfPresent(String.self, forKey: .optimizer) ?? "sgd"
        momentum = try container.decodeIfPresent(Float.self, forKey: .momentum) ?? 0
        weightDecay = try container.decodeIfPresent(Float.self, forKey: .weightDecay) ?? 0
        gradientClip = try container.decodeIfPresent(Float.self, forKey: .gradientClip) ?? 0
        proximalMu = try container.decodeIfPresent(Float.self, forKey: .proximalMu) ?? 0
        localClip = try container.decodeIfPresent(Float.self, forKey: .localClip) ?? 0
        localNoise = try container.decodeIfPresent(Float.self, forKey: .localNoise) ?? 0
        secureThreshold = try container.decodeIfPresent(Int.self, forKey: .secureThreshold) ?? 0
        secureNeighbours = try container.decodeIfPresent(Int.self, forKey: .secureNeighbours) ?? 0
        updatePrecision = try container.decodeIfPresent(String.self, forKey: .updatePrecision) ?? "float32"
    }
}
