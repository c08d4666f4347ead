import TesseraTensor

/// Identifies a tensor in a worker's object store.
public typealias TensorID = UInt64

/// A tensor with the name it has in a model ("conv1.weight").
public struct NamedTensor: Sendable, Equatable {
    /// The parameter name.
    public var name: String
    /// Its value.
    public var tensor: Tensor

    /// A named tensor.
    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// One step of a plan: run `op` on the stored tensors `inputs` and store the result as `output`.
public struct PlanStep: Sendable, Equatable {
    /// The operation.
    public var op: Op
    /// Ids of its inputs in the worker's store.
    public var inputs: [TensorID]
    /// Id under which the result is stored.
    public var output: TensorID

    /// A step running `op` on `inputs` into `output`.
    public init(op: Op, inputs: [TensorID], output: TensorID) {
        self.op = op
        self.inputs = inputs
        self.output = output
    }
}

/// One step of a ring plan: run `op` on the stored ring tensors (for ``/TesseraTensor/RingOp/encode(fractionBits:)``,
/// the float tensor) `inputs` and store the ring tensor it makes as `output`.
public struct RingStep: Sendable, Equatable {
    /// The operation.
    public var op: RingOp
    /// Ids of its inputs in the worker's store.
    public var inputs: [TensorID]
    /// Id under which the result is stored.
    public var output: TensorID

    /// A step running `op` on `inputs` into `output`.
    public init(_ op: RingOp, _ inputs: [TensorID], into output: TensorID) {
        self.op = op
        self.inputs = inputs
        self.output = output
    }
}

/// A federated training assignment: train the model `weights` for `round`.
public struct TrainTask: Sendable, Equatable {
    /// The round number.
    public var round: UInt64
    /// Version of the global model the weights come from.
    public var modelVersion: UInt64
    /// Training settings as JSON (epochs, batch size, learning rate, strategy parameters).
    public var hyperparameters: String
    /// The global model's parameters.
    public var weights: [NamedTensor]

    /// A task for `round`.
    public init(round: UInt64, modelVersion: UInt64, hyperparameters: String, weights: [NamedTensor]) {
        self.round = round
        self.modelVersion = modelVersion
        self.hyperparameters = hyperparameters
        self.weights = weights
    }
}

/// A worker's result for a ``TrainTask``.
public struct TrainUpdate: Sendable, Equatable {
    /// The round it answers.
    public var round: UInt64
    /// The model version it started from.
    public var modelVersion: UInt64
    /// Training samples used (the FedAvg weight).
    public var sampleCount: UInt64
    /// Whether `weights` are a delta from the task's weights rather than new weights.
    public var isDelta: Bool
    /// Named metrics (loss, accuracy, seconds…).
    public var metrics: [String: Double]
    /// The trained weights or their delta.
    public var weights: [NamedTensor]

    /// An update for `round`.
    public init(round: UInt64, modelVersion: UInt64, sampleCount: UInt64, isDelta: Bool,
                metrics: [String: Double], weights: [NamedTensor]) {
        self.round = round
        self.modelVersion = modelVersion
        self.sampleCount = sampleCount
        self.isDelta = isDelta
        self.metrics = metrics
        self.weights = weights
    }
}

/// A federated evaluation assignment: evaluate the model `weights` on the worker's held-out
/// split of its own data.
public struct EvaluateTask: Sendable, Equatable {
    /// The round whose global model this is.
    public var round: UInt64
    /// The global model's parameters.
    public var weights: [NamedTensor]

    /// A task for `round`.
    public init(round: UInt64, weights: [NamedTensor]) {
        self.round = round
        self.weights = weights
    }
}

/// A worker's result for an ``EvaluateTask``.
public struct EvaluationResult: Sendable, Equatable {
    /// The round it answers.
    public var round: UInt64
    /// Held-out samples evaluated.
    public var sampleCount: UInt64
    /// Of those, how many the model classified correctly.
    public var correctCount: UInt64
    /// Mean cross-entropy loss over them.
    public var loss: Double

    /// A result for `round`.
    public init(round: UInt64, sampleCount: UInt64, correctCount: UInt64, loss: Double) {
        self.round = round
        self.sampleCount = sampleCount
        self.correctCount = correctCount
        self.loss = loss
    }
}

/// Everything processes say to each other. The comments give the direction in the usual
/// scheduler/client → worker setting.
public enum Message: Sendable, Equatable {
    /// Worker → scheduler: join, with how much data it holds and its label histogram.
    case register(workerID: String, sampleCount: UInt64, labelHistogram: [UInt64])
    /// Scheduler → worker: accepted into run `runID` with `configuration` (JSON).
    case welcome(runID: String, configuration: String)
    /// Either way: still alive.
    case heartbeat
    /// Either way: leaving, and why.
    case bye(reason: String)
    /// Store `tensor` as `id` (replacing any tensor with that id).
    case put(id: TensorID, tensor: Tensor)
    /// Send back tensor `id`.
    case get(id: TensorID)
    /// A tensor sent back, answering `get`.
    case tensor(id: TensorID, tensor: Tensor)
    /// Free these tensors.
    case delete(ids: [TensorID])
    /// Run one op on stored tensors.
    case exec(PlanStep)
    /// Run several ops in order as one message.
    case plan([PlanStep])
    /// Store the ring tensor `share` as `id` (replacing any tensor with that id): a secret share.
    case putShare(id: TensorID, share: RingTensor)
    /// A ring tensor sent back, answering `get` of one.
    case share(id: TensorID, share: RingTensor)
    /// Run ring ops in order as one message (secret-shared arithmetic).
    case ringPlan([RingStep])
    /// Send back the shape of stored tensor `id` (a tensor or a share), not its values.
    case shapeOf(id: TensorID)
    /// A stored tensor's shape, answering `shapeOf`; `isShare` when it is a ring tensor.
    case shape(id: TensorID, shape: [Int], isShare: Bool)
    /// Send stored tensor `id` straight to the worker at `endpoint`, stored there as `target`
    /// (worker to worker; the data does not pass through the requester).
    case forward(id: TensorID, endpoint: String, target: TensorID)
    /// Make stored tensor `id` a leaf that records gradients (clearing any gradient it had).
    case requireGrad(id: TensorID)
    /// Back-propagate from stored scalar tensor `id` to the leaves it was computed from.
    case backward(id: TensorID)
    /// Store the gradient accumulated on leaf `id` as `output`.
    case gradient(id: TensorID, output: TensorID)
    /// Success, with the store's size afterwards.
    case done(objectCount: UInt64, byteCount: UInt64)
    /// Scheduler → worker: train.
    case trainTask(TrainTask)
    /// Worker → scheduler: trained.
    case update(TrainUpdate)
    /// Scheduler → worker: evaluate the global model on your held-out data.
    case evaluateTask(EvaluateTask)
    /// Worker → scheduler: evaluated.
    case evaluation(EvaluationResult)
    /// The request failed or could not be decoded; `code` is a ``WireError/Kind`` raw value.
    case error(code: UInt16, message: String)
    /// A step of a secure aggregation round.
    case secureAggregation(SecureAggregationStep)
}

/// A message with its routing ids: `id` is unique per sender, `replyTo` the id of the request
/// it answers (0 for none).
public struct Envelope: Sendable, Equatable {
    /// This message's id.
    public var id: UInt64
    /// The id of the message this answers, or 0.
    public var replyTo: UInt64
    /// The message.
    public var message: Message
    /// The hosted client it is from or for, when its process hosts many (header flag 1, the
    /// client's id before the body: docs/PROTOCOL.md, "Many clients in one process"); nil: the
    /// process itself.
    public var client: String?
    /// The hosted clients of one process it is for, when a scheduler sends them one message
    /// together (header flag 2, their ids before the body: docs/PROTOCOL.md); empty otherwise.
    public var recipients: [String] = []

    /// An envelope for `message`, from or for hosted `client` when given.
    public init(id: UInt64, replyTo: UInt64 = 0, message: Message, client: String? = nil) {
        self.id = id
        self.replyTo = replyTo
        self.message = message
        self.client = client
    }
}
