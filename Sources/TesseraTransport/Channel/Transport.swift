import Foundation
import Synchronization
import TesseraTrace
import TesseraWire

/// The one place a process opens its channels: ZeroMQ sockets (one libzmq context per
/// process) or an in-process hub, with tracing put on top when a tracer is given. Later
/// wrappers (simulated links, encryption) go here too, so every process gets them.
public struct Transport: Sendable {
    private enum Backend: Sendable {
        case zeroMQ
        case inProcess(InProcessHub)
    }

    private let backend: Backend

    /// ZeroMQ over TCP or IPC (`tcp://host:port`, `ipc:///path`).
    public static let zeroMQ = Transport(backend: .zeroMQ)

    /// Channels on `hub`, inside this process.
    public static func inProcess(_ hub: InProcessHub) -> Transport {
        Transport(backend: .inProcess(hub))
    }

    /// A channel listening at `endpoint` (`tcp://127.0.0.1:0` picks a free port; the channel's
    /// `address` has it). Messages over `limits.maximumMessageBytes` are refused; with ZeroMQ,
    /// a frame over it is dropped with its connection before it is received, and
    /// `queueLimit` (when given) bounds the messages queued per peer each way (high-water marks),
    /// so a peer cannot make the process buffer without end.
    ///
    /// - Throws: ``TransportError`` for a malformed endpoint or an address in use.
    /// With `security` `.curveServer`, only allowlisted CURVE clients get in (through the
    /// process's ZAP handler, started first), and deliveries carry their names.
    public func bind(_ endpoint: String, limits: WireLimits = WireLimits(), queueLimit: Int? = nil,
                     security: ChannelSecurity = .none, tracer: TraceWriter? = nil) throws -> any MessageChannel {
        try Self.check(endpoint)
        let codec = WireCodec(limits: limits)
        let refusals = RefusalReport(tracer: tracer)
        let channel: any MessageChannel = switch backend {
        case .zeroMQ: try ZMQChannel(context: try Self.sharedContext(), bindingTo: endpoint, connectingTo: nil,
                                     identity: nil, codec: codec, queueLimit: queueLimit,
                                     curve: try Self.curve(security, refusals: refusals), refusals: refusals)
        case let .inProcess(hub): try hub.bind(endpoint, codec: codec)
        }
        return tracer.map { TracingChannel(channel, tracer: $0) } ?? channel
    }

    /// A channel connected to `endpoint`, known there as `identity` (a random one when nil).
    /// Connecting does not wait for the peer: messages wait until it is there. With `security`
    /// `.curveClient`, it talks only to the server holding the pinned key (a wrong key, or a
    /// plain server, never completes the handshake: messages wait).
    ///
    /// - Throws: ``TransportError`` for a malformed endpoint or key.
    public func connect(_ endpoint: String, identity: String? = nil, limits: WireLimits = WireLimits(),
                        security: ChannelSecurity = .none, tracer: TraceWriter? = nil) throws -> any MessageChannel {
        try Self.check(endpoint)
        let codec = WireCodec(limits: limits)
        let channel: any MessageChannel = switch backend {
        case .zeroMQ: try ZMQChannel(context: try Self.sharedContext(), bindingTo: nil, connectingTo: endpoint,
                                     identity: identity, codec: codec, queueLimit: nil, curve: try Self.curve(security, refusals: nil))
        case let .inProcess(hub): hub.connect(endpoint, identity: identity, codec: codec)
        }
        return tracer.map { TracingChannel(channel, tracer: $0) } ?? channel
    }

    /// Before the process exits: waits at most `seconds` for messages still queued on closed
    /// ZeroMQ channels (a worker's last bye) to go out, and ends the ZeroMQ context. Channels
    /// opened afterwards get a new one.
    public static func finish(within seconds: Double = 1) {
        guard let context = shared.withLock({ shared -> ZMQContext? in
            defer { shared = (nil, nil) }
            return shared.context
        }) else { return }
        _ = context.terminate(within: seconds)
    }

    private static func check(_ endpoint: String) throws {
        guard Endpoint.isValid(endpoint) else {
            throw TransportError(.badEndpoint, "'\(endpoint)' is not \(Endpoint.form)")
        }
    }

    // The process's libzmq context, made on first use and kept for the process's life (its I/O
    // thread serves every socket; terminating it would block on sockets still open), and its
    // ZAP handler, started with the first CURVE server socket.
    private static let shared = Mutex<(context: ZMQContext?, authenticator: ZAPHandler?)>((nil, nil))

    private static func sharedContext() throws -> ZMQContext {
        try shared.withLock { shared in
            if let context = shared.context { return context }
            let made = try ZMQContext()
            shared.context = made
            return made
        }
    }

    /// The CURVE settings of a ZeroMQ socket for `security` (a server's allowlist registered
    /// with the ZAP handler, which is started first if need be, telling refusals to `refusals`).
    private static func curve(_ security: ChannelSecurity, refusals: RefusalReport?) throws -> ZMQChannel.Curve? {
        switch security {
        case .none:
            return nil
        case let .curveClient(keys, serverKey):
            try CurveKeyPair.check(serverKey, what: "server key")
            return .client(keys: keys, serverKey: serverKey)
        case let .curveServer(keys, allowed):
            let context = try sharedContext()
            let handler = try shared.withLock { shared -> ZAPHandler in
                if let handler = shared.authenticator { return handler }
                let made = try ZAPHandler(context: context)
                shared.authenticator = made
                return made
            }
            return .server(secretKey: keys.secretKey, domain: handler.register(allowed, refusals: refusals ?? RefusalReport(tracer: nil)))
        }
    }
}
