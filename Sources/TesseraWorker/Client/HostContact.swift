import TesseraTransport

/// A process hosting many clients keeps contact with the scheduler once for all of them: it
/// heartbeats as itself when it sent nothing for a second (anything one of its clients sends
/// counts), says once when the scheduler went silent, and gives up after `giveUpAfter` seconds of
/// silence (0: never). Its clients only register (``ClientMachine`` `hosted`).
struct HostContact {
    /// What the process should do now.
    enum Step: Equatable {
        case heartbeat
        /// Say the scheduler has been silent this many seconds (once per silence).
        case reportSilence(Double)
        /// Stop: silent this many seconds.
        case giveUp(Double)
    }

    private let clock: any MonotonicClock
    private var contact: SchedulerContact
    private var lastSent = -Double.infinity

    /// Contact starting now, the scheduler's silence counted from now.
    init(clock: any MonotonicClock, silenceWarning: Double, giveUpAfter: Double) {
        self.clock = clock
        contact = SchedulerContact(at: clock.now, registrationRetry: .infinity, silenceWarning: silenceWarning, giveUpAfter: giveUpAfter)
        contact.heard(at: clock.now)
    }

    /// A message from the scheduler came.
    mutating func heard() { contact.heard(at: clock.now) }

    /// The process sent something.
    mutating func sent() { lastSent = clock.now }

    /// When ``next()`` next has something to do.
    var nextDue: Double { min(contact.nextDue(now: clock.now), lastSent.isFinite ? lastSent + 1 : clock.now) }

    /// What to do now; a heartbeat step counts as sent.
    mutating func next() -> [Step] {
        var steps: [Step] = []
        switch contact.next(at: clock.now) {
        case let .reportSilence(seconds): steps.append(.reportSilence(seconds))
        case let .giveUp(seconds): return [.giveUp(seconds)]
        case .none, .register: break
        }
        if clock.now - lastSent >= 1 {
            lastSent = clock.now
            steps.append(.heartbeat)
        }
        return steps
    }
}
