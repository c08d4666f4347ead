import Testing
import TesseraTransport

/// The clock a scheduler and a worker measure a peer's silence on.
@Suite("Attended clock")
struct AttendedClockTests {
    /// A process paused for 15 s between two turns of a loop that meant to wait 0.1 s: its
    /// clock moves on by the turn and the tolerance only, so a peer's 15 s of silence over the
    /// pause is not held against it.
    @Test func aPauseIsNotCounted() {
        let base = ManualClock(start: 100)
        let clock = AttendedClock(base, tolerance: 1)
        clock.attend(allowing: 0.1)
        #expect(clock.now == 100)
        base.advance(by: 15)
        #expect(abs(clock.attend(allowing: 0.1) - 13.9) < 1e-9)
        #expect(abs(clock.now - 101.1) < 1e-9)
        #expect(abs(clock.skipped - 13.9) < 1e-9)
    }

    /// Turns that last what they meant to, or are late by less than the tolerance, count in full.
    @Test func turnsOnTimeCountInFull() {
        let base = ManualClock()
        let clock = AttendedClock(base, tolerance: 1)
        for _ in 0..<50 {
            base.advance(by: 0.1)
            #expect(clock.attend(allowing: 0.1) == 0)
        }
        base.advance(by: 5.5)
        #expect(clock.attend(allowing: 5) == 0)
        #expect(clock.now == base.now)
    }
}
