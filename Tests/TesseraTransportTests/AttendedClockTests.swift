import Testing
import TesseraTransport

/// The clock a scheduler and a worker measure a peer's silence on.
@Suite("Attended clock")
struct AttendedClockTests {
    /// A process paused for 15 s in a turn of a loop that meant to wait 0.1 s: its clock moves
    /// on by the turn and the tolerance only, so a peer's 15 s of silence over the pause is not
    /// held against it.
    @Test func aPauseIsNotCounted() {
        let base = ManualClock(start: 100)
        let clock = AttendedClock(base, tolerance: 1)
        clock.attend(turnLasting: 0.1)
        #expect(clock.now == 100)
        base.advance(by: 15)
        #expect(abs(clock.attend(turnLasting: 0.1) - 13.9) < 1e-9)
        #expect(abs(clock.now - 101.1) < 1e-9)
        #expect(abs(clock.skipped - 13.9) < 1e-9)
    }

    /// Paused right after coming back to listen, the process reads the time (to judge a peer)
    /// before it comes back again: the pause is not in that reading either. (A scheduler paused
    /// there took every worker for silent while their heartbeats waited in its queue.)
    @Test func aPauseBeforeTheNextTurnIsNotCountedEither() {
        let base = ManualClock(start: 100)
        let clock = AttendedClock(base, tolerance: 1)
        clock.attend(turnLasting: 0.1)
        base.advance(by: 8)
        #expect(abs(clock.now - 101.1) < 1e-9)
        clock.attend(turnLasting: 0.1)
        #expect(abs(clock.now - 101.1) < 1e-9)
        base.advance(by: 0.5)
        #expect(abs(clock.now - 101.6) < 1e-9)
    }

    /// Turns that last what they meant to, or are late by less than the tolerance, count in full.
    @Test func turnsOnTimeCountInFull() {
        let base = ManualClock()
        let clock = AttendedClock(base, tolerance: 1)
        for _ in 0..<50 {
            #expect(clock.attend(turnLasting: 0.1) == 0)
            base.advance(by: 0.1)
        }
        #expect(clock.attend(turnLasting: 5) == 0)
        base.advance(by: 5.5)
        #expect(clock.now == base.now)
        #expect(clock.attend(turnLasting: 0.1) == 0)
        #expect(clock.now == base.now)
    }
}
