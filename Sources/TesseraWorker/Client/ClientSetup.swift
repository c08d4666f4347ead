import TesseraSecureAggregation
import TesseraTrace
import TesseraTransport
import TesseraWire

/// What the clients of one process have in common, kept once for all of them: how they are
/// connected, their clock, their timings, the device profile they are, and how they train. A
/// process hosting a million clients keeps one; each ``ClientMachine`` holds a reference.
public final class ClientSetup {
    /// Whether the channel is connected to a scheduler, or bound for others to connect.
    let connection: ClientMachine.Connection
    /// Whether its clients are many of one process, which keeps contact for all of them.
    let hosted: Bool
    /// Where the scheduler is, as log lines name it.
    let scheduler: String
    let clock: any MonotonicClock
    /// When the clients started, on `clock`: their devices' offline windows count from it.
    let started: Double
    /// The simulated device each client is; a hosted client draws its leaving with a seed of
    /// its own (``device(of:)``).
    let device: SimulatedDevice
    let registrationRetry: Double
    let schedulerTimeout: Double
    let giveUpAfter: Double
    let secureIdentity: SigningIdentity?
    let tracer: TraceWriter?
    /// Checks a welcome's configuration without making a trainer, and keeps the run's
    /// configuration for all the clients (nil: a welcome makes the trainer, and it is kept).
    let admission: (any ClientAdmission)?
    let makeTrainer: @Sendable (ClientConfiguration) throws -> LocalTrainer
    /// Decodes the clients' welcomes, each run's text once.
    let welcomes = WelcomeDecoder()
    /// The registration its one client sends (nil: each client registers with its id, no
    /// samples and no labels, as hosted clients do).
    private let registration: Message?
    /// The run the clients were last welcomed into: a client keeps this text rather than a copy
    /// of its own.
    private var lastRun: String?

    /// Clients `connection`-ed to `scheduler` (as log lines name it), `hosted` by a process that
    /// keeps contact for them or one on its own sending `registration`, on `clock`, each a
    /// `device` like it; `makeTrainer` loads a client's data when it is welcomed (or, with an
    /// `admission`, for each task, the admission checking the welcome).
    public init(connection: ClientMachine.Connection, hosted: Bool, registration: Message?, scheduler: String = "the scheduler",
                clock: any MonotonicClock, device: SimulatedDevice = SimulatedDevice(), registrationRetry: Double = 5,
                schedulerTimeout: Double = 10, giveUpAfter: Double = 300, secureIdentity: SigningIdentity? = nil,
                tracer: TraceWriter? = nil, admission: (any ClientAdmission)? = nil,
                makeTrainer: @escaping @Sendable (ClientConfiguration) throws -> LocalTrainer = { try LocalTrainer(configuration: $0) }) {
        self.connection = connection
        self.hosted = hosted
        self.registration = registration
        self.scheduler = scheduler
        self.clock = clock
        started = clock.now
        self.device = device
        self.registrationRetry = registrationRetry
        self.schedulerTimeout = schedulerTimeout
        self.giveUpAfter = giveUpAfter
        self.secureIdentity = secureIdentity
        self.tracer = tracer
        self.admission = admission
        self.makeTrainer = makeTrainer
    }

    /// What client `id` registers with.
    func registration(of id: String) -> Message {
        registration ?? .register(workerID: id, sampleCount: 0, labelHistogram: [])
    }

    /// Client `id`'s own device, to draw its leaving from: hosted, the profile with a seed of
    /// its id (``WorkerRuntime/seed(of:)``), the same in every run.
    func device(of id: String) -> SimulatedDevice {
        guard hosted else { return device }
        var own = device
        own.availability = own.availability.reseeded(WorkerRuntime.seed(of: id))
        return own
    }

    /// `run` as the text the clients keep (the same storage for all of them).
    func shared(run: String) -> String {
        if lastRun != run { lastRun = run }
        return lastRun ?? run
    }
}
