extension Message {
    /// The message's kind as logs, errors and traces spell it.
    public var kindName: String {
        switch self {
        case .register: "register"
        case .welcome: "welcome"
        case .heartbeat: "heartbeat"
        case .bye: "bye"
        case .put: "put"
        case .get: "get"
        case .tensor: "tensor"
        case .delete: "delete"
        case .exec: "exec"
        case .plan: "plan"
        case .done: "done"
        case .forward: "forward"
        case .putShare: "put share"
        case .share: "share"
        case .ringPlan: "ring plan"
        case .shapeOf: "shape of"
        case .shape: "shape"
        case .requireGrad: "require grad"
        case .backward: "backward"
        case .gradient: "gradient"
        case .trainTask: "train task"
        case .update: "update"
        case .evaluateTask: "evaluate task"
        case .evaluation: "evaluation"
        case .error: "error"
        case let .secureAggregation(step): step.kind.name
        }
    }

    /// The federated round a message belongs to, 0 for messages outside rounds.
    public var round: UInt64 {
        switch self {
        case let .trainTask(task): task.round
        case let .update(update): update.round
        case let .evaluateTask(task): task.round
        case let .evaluation(result): result.round
        case let .secureAggregation(step): step.round
        default: 0
        }
    }
}

extension Message {
    /// Whether the receiver answers this message (with a reply or an error): requests, as
    /// opposed to replies, heartbeats and byes.
    public var expectsAnswer: Bool {
        switch self {
        case .heartbeat, .bye, .done, .tensor, .share, .shape, .error, .update, .evaluation: false
        case let .secureAggregation(step): step.kind.isRequest
        default: true
        }
    }

    /// Whether this answers a train or evaluate task (or, in a secure round, a step of it).
    public var isTaskAnswer: Bool {
        switch self {
        case .update, .evaluation: true
        case let .secureAggregation(step): !step.kind.isRequest
        default: false
        }
    }
}
