import Foundation
import Synchronization
import TesseraTransport
import TesseraWire

/// Runs a ``WorkerService`` on a ZeroMQ socket until asked to stop.
///
/// - `bind`: a ROUTER socket others connect to (with DEALER sockets); each request is answered
///   to its sender.
/// - `connect`: a DEALER socket, named by the worker id, connected to a ROUTER (a client or
///   scheduler); the worker registers on start, heartbeats every second and says bye on stop.
///
/// Undecodable messages are answered with an error and the loop goes on.
public final class WorkerRuntime {
    /// Where the socket goes.
    public enum Endpoint: Sendable {
        case bind(String)
        case connect(String)
    }

    private let socket: ZMQSocket
    private let context: ZMQContext
    private let codec: WireCodec
    private var service: WorkerService
    private let isRouter: Bool
    private let registration: Message
    private var nextID: UInt64 = 1
    /// Clients to other workers, for `forward`, by endpoint.
    private var peers: [String: RequestClient] = [:]
    /// The endpoint the socket is bound or connected to (with the real port after `tcp://*:0`).
    public let address: String

    /// A runtime for `service` on `endpoint`; `registration` is sent first in connect mode.
    ///
    /// - Throws: ``TransportError`` when the socket cannot bind or connect.
    public init(service: WorkerService, endpoint: Endpoint, limits: WireLimits = WireLimits(),
                sampleCount: UInt64 = 0, labelHistogram: [UInt64] = []) throws {
        context = try ZMQContext()
        codec = WireCodec(limits: limits)
        self.service = service
        registration = .register(workerID: service.workerID, sampleCount: sampleCount, labelHistogram: labelHistogram)
        switch endpoint {
        case let .bind(address):
            socket = try ZMQSocket(.router, context: context, maximumMessageBytes: limits.maximumMessageBytes)
            try socket.bind(address)
            isRouter = true
            self.address = try socket.lastEndpoint()
        case let .connect(address):
            socket = try ZMQSocket(.dealer, context: context, identity: service.workerID,
                                   maximumMessageBytes: limits.maximumMessageBytes)
            try socket.connect(address)
            isRouter = false
            self.address = address
        }
    }

    /// Serves until `shouldStop` returns true (checked at least every 100 ms).
    ///
    /// - Throws: ``TransportError`` when the socket itself fails.
    public func run(until shouldStop: () -> Bool) throws {
        var lastHeartbeat = Date.distantPast
        if !isRouter { try send(registration, replyTo: 0, to: nil) }
        while !shouldStop() {
            if !isRouter && Date().timeIntervalSince(lastHeartbeat) >= 1 {
                try send(.heartbeat, replyTo: 0, to: nil)
                lastHeartbeat = Date()
            }
            guard var frames = try socket.receive(timeout: 0.1) else { continue }
            var sender: Data?
            if isRouter {
                guard !frames.isEmpty else { continue }
                sender = frames.removeFirst()
            }
            let reply: Message?
            var replyTo: UInt64 = 0
            do {
                let envelope = try codec.decode(frames)
                replyTo = envelope.id
                if case let .forward(id, endpoint, target) = envelope.message {
                    reply = forward(id, to: endpoint, as: target)
                } else {
                    reply = service.handle(envelope.message)
                }
            } catch let error as WireError {
                reply = .error(code: error.kind.rawValue, message: error.description)
            }
            if let reply { try send(reply, replyTo: replyTo, to: sender) }
        }
        if !isRouter { try? send(.bye(reason: "worker stopping"), replyTo: 0, to: nil) }
    }

    /// Puts stored tensor `id` on the worker at `endpoint` as `target` and relays its answer.
    private func forward(_ id: TensorID, to endpoint: String, as target: TensorID) -> Message {
        do {
            let tensor = try service.store.tensor(id)
            let peer = try peers[endpoint] ?? RequestClient(connectingTo: endpoint, limits: codec.limits)
            peers[endpoint] = peer
            let answer = try peer.request(.put(id: target, tensor: tensor), timeout: 30)
            if case .error = answer { return answer }
            return .done(objectCount: UInt64(service.store.count), byteCount: UInt64(service.store.byteCount))
        } catch let error as WireError {
            return .error(code: error.kind.rawValue, message: error.description)
        } catch {
            peers[endpoint] = nil
            return .error(code: WireError.Kind.requestFailed.rawValue, message: "forward to \(endpoint): \(error)")
        }
    }

    private func send(_ message: Message, replyTo: UInt64, to sender: Data?) throws {
        let frames: [Data]
        do {
            frames = try codec.encode(Envelope(id: nextID, replyTo: replyTo, message: message))
        } catch let error as WireError {
            // A reply too large for the limits (a huge get) becomes an error reply instead.
            frames = try codec.encode(Envelope(id: nextID, replyTo: replyTo,
                                               message: .error(code: error.kind.rawValue, message: error.description)))
        }
        nextID += 1
        try socket.send(sender.map { [$0] + frames } ?? frames)
    }
}

/// SIGINT and SIGTERM as a flag a serving loop polls.
public enum StopSignal {
    private static let raised = Atomic<Bool>(false)

    /// Installs handlers for SIGINT and SIGTERM that set the flag, and unblocks both (a parent
    /// that blocked them, as test runners do, would otherwise pass the block on to us).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in StopSignal.raised.store(true, ordering: .relaxed) }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Whether a stop signal arrived.
    public static var isRaised: Bool { raised.load(ordering: .relaxed) }
}
