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
    public func bind(_ endpoint: String, limits: WireLimits = WireLimits(), queueLimit: Int? = nil,
                     tracer: TraceWriter? = nil) throws -> any MessageChannel {
        try Self.check(endpoint)
        let codec = WireCodec(limits: limits)
        let channel: any MessageChannel = switch backend {
        case .zeroMQ: try ZMQChannel(context: try Self.sharedContext(), bindingTo: endpoint, connectingTo: nil,
                                     identity: nil, codec: codec, queueLimit: queueLimit)
        case let .inProcess(hub): try hub.bind(endpoint, codec: codec)
        }
        return tracer.map { TracingChannel(channel, tracer: $0) } ?? channel
    }

    /// A channel connected to `endpoint`, known there as `identity` (a random one when nil).
    /// Connecting does not wait for the peer: messages wait until it is there.
    ///
    /// - Throws: ``TransportError`` for a malformed endpoint.
    public func connect(_ endpoint: String, identity: String? = nil, limits: WireLimits = WireLimits(),
                        tracer: TraceWriter? = nil) throws -> any MessageChannel {
        try Self.check(endpoint)
        let codec = WireCodec(limits: limits)
        let channel: any MessageChannel = switch backend {
        case .zeroMQ: try ZMQChannel(context: try Self.sharedContext(), bindingTo: nil, connectingTo: endpoint,
                                     identity: identity, codec: codec, queueLimit: nil)
        case let .inProcess(hub): hub.connect(endpoint, identity: identity, codec: codec)
        }
        return tracer.map { TracingChannel(channel, tracer: $0) } ?? channel
    }

    /// Before the process exits: waits at most `seconds` for messages still queued on closed
    /// ZeroMQ channels (a worker's last bye) to go out, and ends the ZeroMQ context. Channels
    /// opened afterwards get a new one.
    public static func finish(within seconds: Double = 1) {
        guard let context = context.withLock({ $0.take() }) else { return }
        _ = context.terminate(within: seconds)
    }

    private static func check(_ endpoint: String) throws {
        guard Endpoint.isValid(endpoint) else {
            throw TransportError(.badEndpoint, "'\(endpoint)' is not \(Endpoint.form)")
        }
    }

    // The process's libzmq context, made on first use and kept for the process's life (its I/O
    // thread serves every socket; terminating it would block on sockets still open).
    private static let context = Mutex<ZMQContext?>(nil)

    private static func sharedContext() throws -> ZMQContext {
        try context.withLock { context in
            if let context { return context }
            let made = try ZMQContext()
            context = made
            return made
        }
    }
}
