import CZMQ

/// A ZeroMQ call failed, a peer did not answer in time, or a reply was not what the request
/// expected. `description` names the operation, endpoint and libzmq's reason.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: String, Sendable {
        case zmq, timeout, closed, protocolViolation, badEndpoint, badKey, notAdmitted
    }

    /// The class of failure.
    public let kind: Kind
    /// A sentence describing it.
    public let description: String

    /// An error of `kind` described by `description`.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// The error libzmq reports for the last failed call in this thread.
    static func lastZMQError(_ operation: String) -> TransportError {
        let number = zmq_errno()
        let reason = String(cString: zmq_strerror(number))
        return TransportError(number == ETERM ? .closed : .zmq, "\(operation): \(reason) (errno \(number))")
    }
}
