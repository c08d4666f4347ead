/// An error a process reports to a peer in an `error` reply: its wire code (docs/PROTOCOL.md)
/// and its sentence. Each layer's error type says which code its cases carry, so codes are
/// assigned at the boundary, in one place per layer.
public protocol WireReportable: Error, CustomStringConvertible {
    /// The code of the `error` reply.
    var wireCode: WireError.Kind { get }
}

extension WireError: WireReportable {
    public var wireCode: WireError.Kind { kind }
}

extension Message {
    /// The `error` reply for `error`: its wire code (100, request failed, for errors that do not
    /// say) and its sentence.
    public static func errorReply(for error: any Error) -> Message {
        if let error = error as? any WireReportable {
            return .error(code: error.wireCode.rawValue, message: error.description)
        }
        return .error(code: WireError.Kind.requestFailed.rawValue, message: String(describing: error))
    }
}
