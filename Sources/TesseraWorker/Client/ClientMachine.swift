import Logging
import TesseraSecureAggregation
import TesseraTrace
import TesseraTransport
import TesseraWire

/// A federated client as a state machine, as `SchedulerMachine` is the
/// scheduler: events in (a message, time passing on the injected clock, a task finished),
/// actions out (send, start a task, serve a tensor request, stop). No sockets, no threads, no
/// wall clock, so tests drive it message by message with a ``/TesseraTransport/ManualClock``;
/// ``WorkerRuntime`` runs it over a channel.
///
/// Connected to a scheduler, it registers (again every `registrationRetry` seconds until
/// answered, and again when a restarted scheduler says it does not know it), heartbeats when it
/// sent nothing for a second, says once when the scheduler went silent, and gives up after
/// `giveUpAfter` seconds of silence. A welcome sets up its ``LocalTrainer`` (by `makeTrainer`);
/// train and evaluate tasks go to the driver one at a time; their answers go out, held back as
/// long as its ``SimulatedDevice`` is slower than this machine, or lost when the device leaves.
/// In a secure round its update stays here and only its keys and masked shares go out. Bound
/// (serving a client that connected to it), it answers whoever asked and never registers.
/// Hosted (one of many clients of a process), it neither heartbeats nor watches the scheduler's
/// silence: its process does that once for all of them (``/TesseraTransport/PeerID/client``).
public final class ClientMachine {
    /// Whether the channel is connected to a scheduler, or bound for others to connect.
    public enum Connection: Sendable {
        case connected
        case bound
    }

    /// The worker's id.
    public let workerID: String
    /// The run id of the first welcome, once welcomed.
    public var runID: String? { contact.runID }
    /// Whether the scheduler dismissed it.
    public internal(set) var dismissed = false

    /// What it has in common with the other clients of its process (kept once for all).
    let setup: ClientSetup
    var connection: Connection { setup.connection }
    /// Whether it is one of many clients of a process, which keeps contact for all of them.
    var hosted: Bool { setup.hosted }
    /// Where the scheduler is, as log lines name it.
    var scheduler: String { setup.scheduler }
    var clock: any MonotonicClock { setup.clock }
    var tracer: TraceWriter? { setup.tracer }
    /// The simulated device it is (its leaving drawn by ``deviceLeaves()``).
    var device: SimulatedDevice { setup.device }
    /// Its own device, once it drew whether it leaves (nil until then: the setup's profile).
    @Boxed var drawnDevice: SimulatedDevice?
    var contact: SchedulerContact
    /// One logger for every client of a process (a logger each would be a handler each).
    static let logger = Logger(label: "tessera.worker")
    var logger: Logger { Self.logger }
    /// The run's configuration for this client, once a welcome has given it (a client that
    /// keeps no trainer while idle: its ``joinedIndex`` instead, the configuration being its
    /// setup's ``ClientSetup/admission``'s).
    @Boxed var joined: ClientConfiguration?
    /// An admitted client's index in its run, once a welcome has given it.
    var joinedIndex: Int?
    /// The federated client, kept from its welcome on: by a client on its own (its process
    /// loaded the data for it alone), and by one that keeps entries of its own across rounds
    /// (FedBN). A client given `admit` otherwise makes its trainer for each task (from the data
    /// its process shares) and drops it after, so that an idle one holds no samples.
    @Boxed var trainer: LocalTrainer?
    /// The task handed to the driver, or finished and held back by the device.
    @Boxed var running: RunningTask?
    /// The secure aggregation round it takes part in, between its keys and its unmasking.
    @Boxed var secureAggregation: SecureAggregationSession?
    /// When a simulated absence ends, while the device is away.
    var offlineUntil: Double?
    /// A task running when the device went away by schedule: its answer is lost.
    var abandoned = false
    /// When it last sent anything to the scheduler.
    var lastSent = -Double.infinity

    /// A task given to the driver.
    struct RunningTask {
        let replyTo: UInt64
        let sender: PeerID?
        let kindName: String
        /// Whether it trains (else it evaluates).
        let trains: Bool
        let round: UInt64
        /// A secure train task's hyperparameters (nil: its update is sent as it is).
        let secure: Hyperparameters?
        let traceStart = TraceEvent.now()
        /// Its answer and when it may go out, once finished but held back by the device.
        var held: (answer: Message, until: Double)?
    }

    /// Client `workerID` of the clients `setup` describes.
    public init(workerID: String, setup: ClientSetup) {
        self.workerID = workerID
        self.setup = setup
        // A hosted client's process says when the scheduler is silent, and gives up.
        contact = SchedulerContact(at: setup.started, registrationRetry: setup.registrationRetry,
                                   silenceWarning: setup.hosted ? .infinity : setup.schedulerTimeout,
                                   giveUpAfter: setup.hosted ? 0 : setup.giveUpAfter)
    }

    /// A client `workerID` sending `registration` first when `connected` (to `scheduler`, as log
    /// lines name it), on `clock`, with its simulated `device`, `hosted` by a process that keeps
    /// contact for it or on its own; `makeTrainer` loads its data when welcomed (or, with
    /// an `admission`, for each task, the admission checking the welcome). Its setup is its own.
    public convenience init(workerID: String, registration: Message, connection: Connection, hosted: Bool = false, scheduler: String = "the scheduler",
                            clock: any MonotonicClock, device: SimulatedDevice = SimulatedDevice(), registrationRetry: Double = 5,
                            schedulerTimeout: Double = 10, giveUpAfter: Double = 300, secureIdentity: SigningIdentity? = nil,
                            tracer: TraceWriter? = nil, admission: (any ClientAdmission)? = nil,
                            makeTrainer: @escaping @Sendable (ClientConfiguration) throws -> LocalTrainer = { try LocalTrainer(configuration: $0) }) {
        self.init(workerID: workerID, setup: ClientSetup(connection: connection, hosted: hosted, registration: registration, scheduler: scheduler,
                                                         clock: clock, device: device, registrationRetry: registrationRetry,
                                                         schedulerTimeout: schedulerTimeout, giveUpAfter: giveUpAfter,
                                                         secureIdentity: secureIdentity, tracer: tracer, admission: admission,
                                                         makeTrainer: makeTrainer))
    }

    /// Whether its device leaves now (after a task): a draw of its own device's.
    func deviceLeaves() -> Bool {
        guard setup.device.availability.leave > 0 else { return false }
        var own = drawnDevice ?? setup.device(of: workerID)
        let leaves = own.availability.leaves()
        drawnDevice = own
        return leaves
    }

    /// Whether the simulated device is away (it hears and says nothing).
    public var isOffline: Bool { offlineUntil != nil }
    /// Whether the scheduler answered since it last registered (or was told to register again).
    public var isRegistered: Bool { contact.isAnswered }
    /// What it registers with.
    public var registration: Message { setup.registration(of: workerID) }
    /// Whether a task is running or its answer is held back.
    public var isBusy: Bool { running != nil }

    /// When ``tick()`` next has something to do on its clock (registering again, a heartbeat,
    /// the scheduler's silence, the device leaving or coming back, a held answer going out);
    /// nil when only a message or a finished task can move it.
    public var nextTick: Double? {
        var due = running?.held?.until ?? .infinity
        if connection == .connected {
            if let until = offlineUntil { return until }
            due = min(due, contact.nextDue(now: clock.now))
            if !hosted { due = min(due, lastSent.isFinite ? lastSent + 1 : clock.now) }
            if let absence = device.availability.nextAbsence(after: clock.now - setup.started) { due = min(due, setup.started + absence) }
        }
        return due.isFinite ? due : nil
    }

    /// The scheduler said (to the process hosting it) that it does not know its clients: one
    /// it had answered registers again; one still registering goes on as it was.
    public func schedulerForgot() {
        if contact.isAnswered { contact.notRegistered() }
    }

    /// Time passed: registration, heartbeats, silence, the device's schedule, held answers.
    public func tick() -> [ClientAction] {
        let now = clock.now
        guard connection == .connected else { return releaseIfDue(at: now) }
        if offlineUntil == nil, let end = device.availability.scheduledAbsence(at: now - setup.started) {
            tracer?.span("simulated leave", start: TraceEvent.now(), detail: "offline until \(end) s by schedule")
            offlineUntil = setup.started + end
            if running?.held != nil { running = nil } else { abandoned = running != nil }
        }
        // A simulated device that is away hears and says nothing until it is back.
        if let until = offlineUntil {
            guard now >= until else { return [] }
            offlineUntil = nil
            logger.notice("back (simulated); registering again")
            contact.restart(at: now)
        }
        var actions: [ClientAction] = []
        switch contact.next(at: now) {
        case .none:
            break
        case .register:
            if hosted {
                logger.debug("registering with \(scheduler) as \(workerID)")
            } else if contact.silence(at: now) >= contact.registrationRetry {
                logger.warning("no reply from \(scheduler) after \(Int(contact.silence(at: now).rounded())) s, retrying")
            } else {
                logger.info("registering with \(scheduler) as \(workerID)")
            }
            actions.append(send(registration))
        case let .reportSilence(seconds):
            logger.warning("no message from \(scheduler) for \(Int(seconds.rounded())) s (stopped, paused or restarting?); still here, heartbeating")
            tracer?.span("scheduler silent", start: TraceEvent.now(), detail: "\(Int(seconds.rounded())) s")
        case let .giveUp(seconds):
            return [.giveUp(seconds: seconds)]
        }
        // Any message says it lives: a heartbeat when nothing else went out for a second.
        if !hosted && now - lastSent >= 1 { actions.append(send(.heartbeat)) }
        return actions + releaseIfDue(at: now)
    }

    /// Leaving of its own accord (the process stops): a bye, unless dismissed or hosted (its
    /// process says bye once for all its clients).
    public func leave() -> [ClientAction] {
        connection == .connected && !dismissed && !hosted ? [send(.bye(reason: "worker stopping"))] : []
    }

    /// `message` to the scheduler (or, bound, to `peer`), noted as sent.
    func send(_ message: Message, replyTo: UInt64 = 0, to peer: PeerID? = nil) -> ClientAction {
        lastSent = clock.now
        return .send(message, replyTo: replyTo, to: peer)
    }
}
