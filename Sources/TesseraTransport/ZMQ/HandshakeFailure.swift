import CZMQ

/// Part of the ZeroMQ implementation. A ZeroMQ handshake that failed, from a socket's monitor
/// event, in words a user can act on: which side lacks a key, or whose key was refused.
struct HandshakeFailure: Sendable, Equatable {
    /// The monitor events that report a failed handshake.
    static let events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    /// What went wrong, as libzmq tells it.
    enum Cause: Sendable, Equatable {
        /// The server's authentication handler refused the client's key (ZAP status, e.g. 400).
        case refusedKey(status: UInt32)
        /// One side speaks CURVE and the other does not.
        case mechanismMismatch
        /// The CURVE exchange itself failed (a client pinning a key the server does not hold).
        case cryptographic
        /// The peer closed the connection during the handshake without saying why (libzmq's
        /// word for a CURVE client pinning a key its server does not hold, and for a client
        /// without keys at a CURVE server).
        case noDetail
        /// Another ZeroMQ protocol error (its ZMQ_PROTOCOL_ERROR_* code), or none given.
        case other(UInt32)
    }

    let cause: Cause

    /// The failure a monitor `event` with `value` reports; nil for other events.
    init?(event: Int32, value: UInt32) {
        switch event {
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: cause = .refusedKey(status: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL where value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH): cause = .mechanismMismatch
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL where value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC): cause = .cryptographic
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: cause = .other(value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: cause = .noDetail
        default: return nil
        }
    }

    /// The sentence for a process that connected to `address` as `identity`, with keys or not.
    func connecting(to address: String, as identity: String?, withKeys: Bool) -> String {
        let name = identity ?? "this process"
        switch cause {
        case let .refusedKey(status):
            return "\(address) refused \(name)'s key (CURVE handshake failed, status \(status)): is \(identity ?? "its").pub in the key directory there?"
        case .mechanismMismatch where withKeys:
            return "\(address) does not use CURVE keys, and \(name) does (handshake failed: mechanism mismatch): start both with keys, or neither"
        case .mechanismMismatch:
            return "\(address) requires CURVE keys and \(name) has none (handshake failed: mechanism mismatch): give it --keys DIR with \(identity ?? "its").key and the server's .pub"
        case .cryptographic, .noDetail where withKeys:
            return "the CURVE handshake with \(address) failed: it does not hold the secret key of the server key \(name) pins (a .pub from another key directory?)"
        case .noDetail:
            return "\(address) closed the connection during the handshake: does it require CURVE keys? \(name) has none (give it --keys DIR)"
        case let .other(code):
            return "the handshake with \(address) failed (ZeroMQ protocol error 0x\(String(code, radix: 16)))"
        }
    }

    /// The sentence for a bound process about a client it did not admit.
    var accepting: String {
        switch cause {
        case let .refusedKey(status): "a client's CURVE key was refused (status \(status))"
        case .mechanismMismatch: "a client without CURVE keys was refused (handshake failed: mechanism mismatch; a worker started without --keys?)"
        case .cryptographic: "a client's CURVE handshake failed (it pins a server key this process does not hold: a .pub from another key directory?)"
        case .noDetail: "a client's handshake failed without detail (a client pinning a server key this process does not hold, or one without keys)"
        case let .other(code): "a client's handshake failed (ZeroMQ protocol error 0x\(String(code, radix: 16)))"
        }
    }
}
