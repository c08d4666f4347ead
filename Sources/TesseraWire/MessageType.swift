/// The type byte of a message header.
enum MessageType: UInt8 {
    case register = 1, welcome = 2, heartbeat = 3, bye = 4
    case put = 10, get = 11, tensor = 12, delete = 13, exec = 14, plan = 15, done = 16, forward = 17
    case putShare = 25, share = 26, ringPlan = 27, shapeOf = 28, shape = 29
    case requireGrad = 18, backward = 19, gradient = 22
    case trainTask = 20, update = 21, evaluateTask = 23, evaluation = 24
    case error = 30
    case secureAggregation = 40
}

extension Message {
    var type: MessageType {
        switch self {
        case .register: .register
        case .welcome: .welcome
        case .heartbeat: .heartbeat
        case .bye: .bye
        case .put: .put
        case .get: .get
        case .tensor: .tensor
        case .delete: .delete
        case .exec: .exec
        case .plan: .plan
        case .done: .done
        case .forward: .forward
        case .putShare: .putShare
        case .share: .share
        case .ringPlan: .ringPlan
        case .shapeOf: .shapeOf
        case .shape: .shape
        case .requireGrad: .requireGrad
        case .backward: .backward
        case .gradient: .gradient
        case .trainTask: .trainTask
        case .update: .update
        case .evaluateTask: .evaluateTask
        case .evaluation: .evaluation
        case .error: .error
        case .secureAggregation: .secureAggregation
        }
    }
}
