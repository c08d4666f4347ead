import Foundation
import Logging
import Synchronization
import TesseraTensor
import TesseraSecureAggregation
import TesseraTrace
import TesseraTransport
import TesseraWire

/// Runs a federated client (a ``ClientMachine``) and a ``WorkerService`` on a message channel
/// until asked to stop: the driver of the client's state machine over a real channel, a
/// thread for its tasks and the system clock.
///
/// - `bind`: a bound channel (a ZeroMQ ROUTER) others connect to; each request is answered
///   to its sender.
/// - `connect`: a channel connected to a client or scheduler under the worker id (a ZeroMQ
///   DEALER); the worker registers on start, heartbeats every second and says bye on stop.
///
/// Train and evaluate tasks run on their own thread, one at a time, so the loop keeps
/// heartbeating while they run: a scheduler takes a worker that goes silent for its heartbeat
/// timeout, even mid-task, for dead. Undecodable messages are answered with an error and the
/// loop goes on.
public final class WorkerRuntime {
    /// Where the socket goes.
    public enum Endpoint: Sendable {
        case bind(String)
        case connect(String)
    }

    private let channel: any MessageChannel
    private let transport: Transport
    private var service: WorkerService
    private let tracer: TraceWriter?
    private let isRouter: Bool
    private let registration: Message
    private var nextID: UInt64 = 1
    /// Why the scheduler cannot be reached now (a refused key, no connection), told once;
    /// cleared when it is heard from.
    private var unreachable: String?
    /// The simulated device the client is (how much slower it trains, when it is there); each
    /// hosted client is one like it, with draws of its own.
    public var device = SimulatedDevice()
    /// How many clients this process hosts (`--clients N`), each registering and training as
    /// a client of its own over the one channel; 0: the process is the one client.
    public var hostedClients = 0
    /// Called on the serving thread when a train or evaluate task starts, with the client's id
    /// and the message.
    public var onTaskStarted: (String, Message) -> Void = { _, _ in }
    /// The clients this process is (one, or those it hosts), while it runs.
    private var clients: [ClientMachine] = []
    /// When each client next needs a tick.
    private var schedule = TickSchedule(count: 0)
    /// Where the clients' tasks run. A process that is one client gives its training memory back
    /// when idle; one hosting many keeps it for the next of them.
    private lazy var tasks = TaskQueue(releasesMemoryWhenIdle: hostedClients == 0)
    /// The clients the scheduler dismissed, by index.
    private var dismissed = Set<Int>()
    /// A process hosting clients: its contact with the scheduler for all of them.
    private var host: HostContact?
    /// A process hosting clients: the registrations it lets wait for an answer at a time.
    private var registrations = RegistrationWindow()
    /// Forwards on their way to other workers.
    private let forwarder: Forwarder
    /// The endpoint the socket is bound or connected to (with the real port after `tcp://*:0`).
    public let address: String
    /// Where `forward` may send tensors (those of the same federation) and how: by default
    /// plain, to loopback and ipc endpoints only.
    public var forwardTargets = ForwardTargets()
    /// Secure aggregation against a malicious scheduler: this worker signs its round keys and
    /// takes part only with workers whose keys are signed by their owners (nil: neither; a
    /// worker with CURVE keys has one, from its key directory).
    public var secureIdentity: SigningIdentity?
    /// Seconds without any message from the scheduler, after registering, before the worker
    /// says so and registers again.
    public var registrationRetry: Double = 5
    /// Seconds without any message from the scheduler (which heartbeats a quiet worker every 2 s)
    /// after which the worker says so; it goes on heartbeating, and registers again only when
    /// a restarted scheduler answers that it does not know it (error 101).
    public var schedulerTimeout: Double = 10
    /// Seconds without any message from the scheduler after which the worker gives up and
    /// stops (0: never), so that no worker outlives its federation.
    public var giveUpAfter: Double = 300
    private let logger = Logger(label: "tessera.worker")

    /// A runtime for `service` on `endpoint`; `registration` is sent first in connect mode.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` when the socket cannot bind or connect.
    public init(service: WorkerService, endpoint: Endpoint, limits: WireLimits = WireLimits(),
                sampleCount: UInt64 = 0, labelHistogram: [UInt64] = [], tracer: TraceWriter? = nil,
                transport: Transport = .zeroMQ, security: ChannelSecurity = .none, link: LinkProfile? = nil) throws {
        self.transport = transport
        self.service = service
        self.tracer = tracer
        registration = .register(workerID: service.workerID, sampleCount: sampleCount, labelHistogram: labelHistogram)
        let opened: any MessageChannel
        switch endpoint {
        case let .bind(address):
            opened = try transport.bind(address, limits: limits, security: security, tracer: tracer)
            isRouter = true
        case let .connect(address):
            opened = try transport.connect(address, identity: service.workerID, limits: limits, security: security, tracer: tracer)
            isRouter = false
        }
        // A simulated link, its losses drawn from a seed of the worker's own, so runs repeat.
        channel = if let link, link.isActive {
            SimulatedLinkChannel(opened, profile: link, seed: Self.seed(of: service.workerID), tracer: tracer)
        } else {
            opened
        }
        self.address = channel.address
        forwarder = Forwarder(limits: limits, tracer: tracer, transport: transport)
    }

    /// Serves until `shouldStop` returns true (checked at least every 100 ms), then closes the
    /// channel.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` when the socket itself fails, or when the
    ///   scheduler was silent for ``giveUpAfter`` seconds.
    public func run(until shouldStop: () -> Bool) throws {
        // Silence is measured on time this loop listened: a worker paused (SIGSTOP) or starved
        // does not take its scheduler for gone when it comes back.
        let attention = AttendedClock()
        clients = makeClients(clock: attention)
        schedule = TickSchedule(count: clients.count)
        for index in clients.indices { schedule.set(index, to: attention.now) }
        if hostedClients > 0 && !isRouter {
            host = HostContact(clock: attention, silenceWarning: schedulerTimeout, giveUpAfter: giveUpAfter)
        }
        defer {
            tasks.close()
            channel.close()
            tracer?.flush()
        }
        while !shouldStop() && dismissed.count < clients.count {
            // A turn waits at most 0.1 s for a message.
            attention.attend(turnLasting: 0.1)
            let turnEnd = attention.now + 0.1
            try keepHostContact()
            // The clients whose tick is due, earliest first, for a tenth of a second at most.
            while attention.now < turnEnd, let index = schedule.takeDue(at: attention.now) {
                try perform(clients[index].tick(), of: index)
            }
            for finished in tasks.takeFinished() {
                try perform(clients[finished.client].taskFinished(finished.answer, computeSeconds: finished.seconds), of: finished.client)
            }
            for (forward, result) in forwarder.takeFinished() {
                tracer?.span("forward", start: forward.start)
                // A forward's done reports the store as it is when the other worker answered.
                let reply: Message = if case .done = result { done } else { result }
                try send(reply, replyTo: forward.replyTo, to: forward.sender)
            }
            // Waits for a message until the next tick is due; briefly while work runs in the
            // background, so its reply goes out as soon as it is done.
            let due = min(schedule.earliest() ?? .infinity, host?.nextDue ?? .infinity)
            let wait = tasks.isBusy || !forwarder.isEmpty ? 0.005 : min(0.1, max(0, due - attention.now))
            guard var received = try channel.receive(timeout: wait) else { continue }
            // What else is waiting is taken in the same turn (for a tenth of a second at most),
            // so that a process hosting many clients keeps up with their messages.
            let drainEnd = attention.now + 0.1
            while true {
                try dispatch(received)
                guard attention.now < drainEnd, let next = try channel.receive(timeout: 0) else { break }
                received = next
            }
        }
        for index in clients.indices { try? perform(clients[index].leave(), of: index) }
        // One bye for all the clients of a process, not one each to a scheduler maybe gone.
        if host != nil && dismissed.count < clients.count { try? send(.bye(reason: "worker stopping"), replyTo: 0, to: nil) }
    }

    /// A process hosting clients heartbeats as itself, says when the scheduler went silent,
    /// and gives up after ``giveUpAfter`` seconds of it.
    private func keepHostContact() throws {
        for step in host?.next() ?? [] {
            switch step {
            case .heartbeat:
                try send(.heartbeat, replyTo: 0, to: nil)
            case let .reportSilence(seconds):
                logger.warning("no message from \(address) for \(Int(seconds.rounded())) s (stopped, paused or restarting?); still here, heartbeating")
                tracer?.span("scheduler silent", start: TraceEvent.now(), detail: "\(Int(seconds.rounded())) s")
            case let .giveUp(seconds):
                throw giveUp(after: seconds)
            }
        }
    }

    /// Hands a message to the client it is for (a hosted client's to that client; any other to
    /// the one client, or, in a process hosting many, to the process itself or the tensor
    /// service). Nothing that goes wrong with one message ends the worker: it is answered with
    /// the error. Only the channel failing (closed, its socket gone) does.
    private func dispatch(_ received: Delivery) throws {
        // A task for several hosted clients at once: each is handed its own copy (the tensors
        // are shared, not copied), as if it had come to it alone.
        if received.peer.client == nil, case let .success(envelope) = received.envelope, !envelope.recipients.isEmpty {
            var single = envelope
            single.recipients = []
            for recipient in envelope.recipients {
                single.client = recipient
                try dispatch(Delivery(peer: received.peer.hosting(recipient), envelope: .success(single), byteCount: received.byteCount,
                                      authenticatedID: received.authenticatedID))
            }
            return
        }
        let index: Int? = if let client = received.peer.client { hostedIndex(of: client) } else { hostedClients > 0 ? nil : 0 }
        if !isRouter, case .success = received.envelope, index.map({ !clients[$0].isOffline }) ?? true { unreachable = nil }
        if host != nil, case let .success(envelope) = received.envelope {
            host?.heard()
            if received.peer.client == nil && hearForHost(envelope.message) { return }
            // The run's end, said once to the process: every client hears it.
            if received.peer.client == nil, case .bye = envelope.message {
                for index in clients.indices {
                    try perform(clients[index].handle(received.envelope, from: received.peer.hosting(clients[index].workerID)), of: index)
                }
                return
            }
        }
        do {
            if let index {
                try perform(clients[index].handle(received.envelope, from: received.peer), of: index)
            } else if let client = received.peer.client {
                try send(.errorReply(for: WorkerError.notAccepted(kind: "message for client \(client)", worker: service.workerID)),
                         replyTo: (try? received.envelope.get().id) ?? 0, to: received.peer)
            } else if case let .success(envelope) = received.envelope {
                try serve(envelope, from: received.peer)
            } else if case let .failure(error) = received.envelope {
                try send(.errorReply(for: error), replyTo: error.messageID ?? 0, to: received.peer)
            }
        } catch let error as TransportError {
            throw error
        } catch {
            logger.error("a message from \(received.peer) could not be handled: \(error); answering with the error")
            tracer?.span("handler failed", start: TraceEvent.now(), detail: "\(error)", peer: received.peer.description)
            try send(.errorReply(for: error), replyTo: (try? received.envelope.get().id) ?? 0, to: received.peer)
        }
    }

    /// Takes what the scheduler says to a process hosting clients as itself: its heartbeat, or
    /// that it does not know the process's clients (a restarted scheduler: those it had
    /// answered register again). Returns whether `message` was one of those.
    private func hearForHost(_ message: Message) -> Bool {
        switch message {
        case .heartbeat:
            return true
        case let .error(code, text) where code == WireError.Kind.notRegistered.rawValue:
            logger.notice("\(address) does not know this process's clients (\(text)); they register again")
            for index in clients.indices {
                clients[index].schedulerForgot()
                schedule.set(index, to: clients[index].nextTick)
            }
            return true
        default:
            return false
        }
    }

    /// The clients this process is: itself, or the ``hostedClients`` it hosts, named
    /// `WORKERID/0`, `WORKERID/1`, ..., sharing one partition of the run's data.
    private func makeClients(clock: any MonotonicClock) -> [ClientMachine] {
        let connection: ClientMachine.Connection = isRouter ? .bound : .connected
        guard hostedClients > 0 else {
            return [ClientMachine(workerID: service.workerID, registration: registration, connection: connection, scheduler: address, clock: clock,
                                  device: device, registrationRetry: registrationRetry, schedulerTimeout: schedulerTimeout,
                                  giveUpAfter: giveUpAfter, secureIdentity: secureIdentity, tracer: tracer)]
        }
        let partitions = PartitionCache()
        let setup = ClientSetup(connection: connection, hosted: true, registration: nil, scheduler: address, clock: clock, device: device,
                                registrationRetry: registrationRetry, schedulerTimeout: schedulerTimeout, giveUpAfter: giveUpAfter,
                                secureIdentity: secureIdentity, tracer: tracer, admission: partitions) { configuration in
            let partition = try partitions.partition(for: configuration)
            return try LocalTrainer(configuration: partition.configuration(forClient: configuration.clientIndex), partition: partition)
        }
        return (0..<hostedClients).map { ClientMachine(workerID: hostedID(of: $0), setup: setup) }
    }

    /// What every hosted client's id starts with: the process's id and a slash.
    private var hostedPrefix: String { service.workerID + "/" }

    /// Hosted client `index`'s id: ``hostedPrefix`` and the index, zero-padded to the width of
    /// the largest.
    private func hostedID(of index: Int) -> String {
        let number = String(index), width = String(hostedClients - 1).count
        return hostedPrefix + String(repeating: "0", count: max(0, width - number.count)) + number
    }

    /// The index of the hosted client named `id`, if it is one of this process's: read from
    /// its name (every message of a client, so without building a name), so that a million
    /// clients need no table of names.
    private func hostedIndex(of id: String) -> Int? {
        let digits = id.utf8.dropFirst(service.workerID.utf8.count + 1)
        guard id.utf8.count == service.workerID.utf8.count + 1 + String(hostedClients - 1).utf8.count,
              id.utf8.starts(with: service.workerID.utf8), id.utf8.dropFirst(service.workerID.utf8.count).first == UInt8(ascii: "/"),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let index = Int(Substring(digits)), index < hostedClients else { return nil }
        return index
    }

    /// Carries out client `index`'s actions in order (what it sends goes out as that client's
    /// when the process hosts many), and schedules its next tick.
    private func perform(_ actions: [ClientAction], of index: Int) throws {
        defer { schedule.set(index, to: clients[index].nextTick) }
        for action in actions {
            switch action {
            case let .send(message, replyTo, peer):
                // A hosted client's registration waits its turn when many are unanswered.
                if hostedClients > 0, case .register = message, !registrations.mayRegister(index) { continue }
                let hosted = hostedClients > 0 ? (peer ?? PeerID(address)).hosting(clients[index].workerID) : peer
                try send(message, replyTo: replyTo, to: hosted)
            case let .startTask(task):
                tasks.enqueue(task, for: index)
                onTaskStarted(clients[index].workerID, task.message)
            case let .serve(envelope, peer):
                try serve(envelope, from: peer)
            case .dismissed:
                dismissed.insert(index)
            case let .giveUp(seconds):
                throw giveUp(after: seconds)
            }
        }
        let client = clients[index]
        if registrations.isWaiting(index), client.isRegistered || client.isOffline || dismissed.contains(index) {
            try settleRegistration(of: index)
        }
    }

    /// Hosted client `index` waits for its registration's answer no more (answered, away or
    /// dismissed): the registrations whose turn came go out.
    private func settleRegistration(of index: Int) throws {
        var settling = [index]
        while let settled = settling.popLast() {
            for next in registrations.settled(settled) {
                let client = clients[next]
                if client.isRegistered || client.isOffline || dismissed.contains(next) {
                    settling.append(next)
                } else {
                    try send(client.registration, replyTo: 0, to: PeerID(address).hosting(client.workerID))
                }
            }
        }
    }

    /// Why the worker stops after `seconds` without a message from the scheduler.
    private func giveUp(after seconds: Double) -> TransportError {
        TransportError(.timeout, "no message from \(address) for \(Int(seconds.rounded())) s; giving up (--give-up)"
                       + (unreachable.map { ". Last problem: \($0)" } ?? ""))
    }

    /// Answers a request for the tensor service (a forward starts in the background).
    private func serve(_ envelope: Envelope, from peer: PeerID?) throws {
        let start = TraceEvent.now()
        let reply: Message? = if case let .forward(id, endpoint, target) = envelope.message {
            startForward(id, to: endpoint, as: target, replyTo: envelope.id, sender: peer)
        } else {
            service.handle(envelope.message)
        }
        guard let reply else { return }
        tracer?.span(envelope.message.kindName, start: start, detail: Self.detail(of: envelope.message))
        try send(reply, replyTo: envelope.id, to: peer)
    }

    /// The store's counts, as `done` replies carry them.
    private var done: Message {
        .done(objectCount: UInt64(service.store.count), byteCount: UInt64(service.store.byteCount))
    }

    /// Starts putting stored tensor `id` (as it is now) on the worker at `endpoint` as `target`,
    /// in the background (the worker goes on serving meanwhile, itself included); its answer is
    /// relayed when it comes. Answers at once an endpoint not allowed, an unknown id, or a
    /// forward the ``Forwarder`` has no room for.
    private func startForward(_ id: TensorID, to endpoint: String, as target: TensorID, replyTo: UInt64,
                              sender: PeerID?) -> Message? {
        let put: Message, security: ChannelSecurity
        do {
            security = try forwardTargets.security(for: endpoint)
            // A secret share moves as one too.
            put = service.store.holdsRing(id) ? .putShare(id: target, share: try service.store.ring(id))
                : .put(id: target, tensor: try service.store.tensor(id))
        } catch {
            return .errorReply(for: error)
        }
        guard forwarder.enqueue(put, to: endpoint, security: security, replyTo: replyTo, sender: sender) else {
            return .errorReply(for: WorkerError.busy(worker: service.workerID, running: "full line of forwards (\(Forwarder.maximumRunning) running, \(Forwarder.maximumWaiting) waiting)"))
        }
        return nil
    }

    /// A seed from a worker id (FNV-1a), the same in every run: what a worker's simulated link
    /// and availability draw from.
    public static func seed(of id: String) -> UInt64 {
        id.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    private func send(_ message: Message, replyTo: UInt64, to sender: PeerID?) throws {
        defer { nextID += 1 }
        host?.sent()
        do {
            try channel.send(Envelope(id: nextID, replyTo: replyTo, message: message), to: sender)
        } catch let error as WireError {
            // A reply too large for the limits (a huge get) becomes an error reply instead.
            try channel.send(Envelope(id: nextID, replyTo: replyTo, message: .errorReply(for: error)), to: sender)
        } catch let error as TransportError where !isRouter && (error.kind == .notAdmitted || error.kind == .timeout) {
            // The scheduler cannot take messages now (it refused this worker's key, or is
            // gone): say so once, and go on; the message is lost, and --give-up still counts.
            if unreachable != error.description {
                logger.error("\(error.description)")
                tracer?.span("unreachable", start: TraceEvent.now(), detail: error.description)
            }
            unreachable = error.description
        }
    }

    /// What a span records about a request: the ops it ran.
    private static func detail(of message: Message) -> String? {
        switch message {
        case let .exec(step): step.op.name
        case let .plan(steps): steps.map(\.op.name).joined(separator: ",")
        default: nil
        }
    }
}
