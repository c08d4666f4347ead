import Testing
import TesseraTransport
@testable import TesseraWorker

/// What a connected worker does about its scheduler's silence.
@Suite("Scheduler contact")
struct SchedulerContactTests {
    static func contact(_ clock: any MonotonicClock) -> SchedulerContact {
        SchedulerContact(at: clock.now, registrationRetry: 5, silenceWarning: 10, giveUpAfter: 300)
    }

    /// Unanswered, the registration goes out at once and again every 5 s.
    @Test func anUnansweredRegistrationIsRetried() {
        let clock = ManualClock()
        var contact = Self.contact(clock)
        var steps = [contact.next(at: clock.now)]
        clock.advance(by: 4)
        steps.append(contact.next(at: clock.now))
        clock.advance(by: 1)
        steps.append(contact.next(at: clock.now))
        #expect(steps == [.register, .none, .register])
    }

    /// A scheduler silent past the warning is reported once, and is not registered with again
    /// (it may only be paused); error 101 (a restarted scheduler) brings the registration back.
    @Test func silenceIsReportedOnceAndOnlyNotRegisteredRegistersAgain() {
        let clock = ManualClock()
        var contact = Self.contact(clock)
        _ = contact.next(at: clock.now)
        contact.heard(at: clock.now)
        clock.advance(by: 11)
        let report = contact.next(at: clock.now)
        #expect(report == .reportSilence(11))
        var later: [SchedulerContact.Step] = []
        for _ in 0..<100 {
            clock.advance(by: 1)
            later.append(contact.next(at: clock.now))
        }
        #expect(later.allSatisfy { $0 == .none })
        contact.notRegistered()
        let again = contact.next(at: clock.now)
        #expect(again == .register)
    }

    /// A worker paused for 60 s (its loop away that long) hears the scheduler's queued messages
    /// when it is back: the pause is not silence, so nothing is reported.
    @Test func aPauseOfTheWorkerItselfIsNotSilence() {
        let base = ManualClock()
        let clock = AttendedClock(base)
        var contact = Self.contact(clock)
        _ = contact.next(at: clock.now)
        contact.heard(at: clock.now)
        base.advance(by: 60)
        clock.attend(turnLasting: 0.1)
        let step = contact.next(at: clock.now)
        #expect(step == .none)
        #expect(contact.silence(at: clock.now) < 2)
    }

    /// Silent for the give-up time, it gives up.
    @Test func givesUpAfterItsTime() {
        let clock = ManualClock()
        var contact = Self.contact(clock)
        _ = contact.next(at: clock.now)
        contact.heard(at: clock.now)
        clock.advance(by: 300)
        let step = contact.next(at: clock.now)
        #expect(step == .giveUp(300))
    }

    /// The first welcome's run is this worker's; a welcome into another is refused.
    @Test func onlyTheFirstRunIsAdmitted() {
        var contact = Self.contact(ManualClock())
        let answers = ["run-1", "run-1", "impostor"].map { contact.admits(run: $0) }
        #expect(answers == [true, true, false])
    }
}
