import TesseraTransport

/// A connected worker's view of its scheduler: whether it answered the registration, how long
/// it has been silent, and what to do about it. Times are the worker's clock's, given to each
/// call (a million hosted clients keep no clock each); an ``/TesseraTransport/AttendedClock``
/// measures silence, so a worker that was itself paused or starved does not take the scheduler
/// for gone.
///
/// A scheduler that never answered is sent the registration again every
/// `registrationRetry` seconds. One that answered and then went silent for `silenceWarning`
/// seconds is reported once, and heartbeats go on without registering again: a scheduler that
/// was only paused resumes where it was (a registration would tell it this worker restarted, and
/// cost it the task in hand); one that restarted answers a heartbeat with error 101 (not
/// registered), and ``notRegistered()`` registers again. After `giveUpAfter` seconds of silence
/// (0: never) the worker gives up.
struct SchedulerContact {
    /// What the worker should do now.
    enum Step: Equatable {
        case none
        /// Send the registration (again).
        case register
        /// Say the scheduler has been silent this many seconds (once per silence).
        case reportSilence(Double)
        /// Stop: silent this many seconds.
        case giveUp(Double)
    }

    var registrationRetry: Double
    var silenceWarning: Double
    var giveUpAfter: Double
    /// The run id of the first welcome: a later welcome into another run is not joined.
    private(set) var runID: String?
    private var answered = false
    private var lastHeard: Double
    private var lastRegistration = -Double.infinity
    private var reported = false

    /// Contact starting at `now` (the registration goes out first).
    init(at now: Double, registrationRetry: Double, silenceWarning: Double, giveUpAfter: Double) {
        self.registrationRetry = registrationRetry
        self.silenceWarning = silenceWarning
        self.giveUpAfter = giveUpAfter
        lastHeard = now
    }

    /// Seconds at `now` since the scheduler was last heard from (or since the start).
    func silence(at now: Double) -> Double { now - lastHeard }

    /// A message from the scheduler came at `now`.
    mutating func heard(at now: Double) {
        answered = true
        reported = false
        lastHeard = now
    }

    /// The scheduler does not know this worker (error 101, a restarted scheduler): register as
    /// if it never answered.
    mutating func notRegistered() {
        answered = false
        lastRegistration = -Double.infinity
    }

    /// Starts over at `now` as a worker that never registered (a simulated device back from
    /// away).
    mutating func restart(at now: Double) {
        notRegistered()
        reported = false
        lastHeard = now
    }

    /// Whether a welcome into `run` may be joined: the first sets the run; another is refused
    /// (another scheduler at the same address, or one started anew without `--resume`).
    mutating func admits(run: String) -> Bool {
        guard let runID else {
            runID = run
            return true
        }
        return runID == run
    }

    /// Whether the scheduler answered since the start (or since it said it does not know this
    /// worker).
    var isAnswered: Bool { answered }

    /// When ``next(at:)`` next has something to do (infinity: never, as things stand; `now`:
    /// at once).
    func nextDue(now: Double) -> Double {
        var due = giveUpAfter > 0 ? lastHeard + giveUpAfter : .infinity
        if !answered { due = min(due, lastRegistration.isFinite ? lastRegistration + registrationRetry : now) }
        if answered && !reported { due = min(due, lastHeard + silenceWarning) }
        return due
    }

    /// What to do at `now`; a `register` step counts as sent.
    mutating func next(at now: Double) -> Step {
        let silence = silence(at: now)
        if giveUpAfter > 0 && silence >= giveUpAfter { return .giveUp(silence) }
        if !answered {
            guard now - lastRegistration >= registrationRetry else { return .none }
            lastRegistration = now
            return .register
        }
        if silence >= silenceWarning && !reported {
            reported = true
            return .reportSilence(silence)
        }
        return .none
    }
}
