import Testing
@testable import TesseraWorker

/// A process hosting many clients lets a bounded number of registrations wait for answers.
@Suite("Registration window")
struct RegistrationWindowTests {
    @Test func registrationsBeyondTheLimitWaitTheirTurnInOrder() {
        var window = RegistrationWindow()
        let limit = RegistrationWindow.limit
        let first = (0..<limit + 3).map { window.mayRegister($0) }
        #expect(first.prefix(limit).allSatisfy { $0 } && !first.suffix(3).contains(true))
        // Asking again changes nothing: a retry of one that went out may go; a waiting one waits.
        let again = [window.mayRegister(5), window.mayRegister(limit + 1)]
        #expect(again == [true, false])
        // Answers let the next go, in the order they asked.
        let turns = [window.settled(7), window.settled(7), window.settled(limit), window.settled(0), window.settled(1)]
        #expect(turns == [[limit], [], [limit + 1], [limit + 2], []])
        #expect(window.isWaiting(limit + 1) && !window.isWaiting(limit) && !window.isWaiting(7))
        // Room again: one asking now goes at once.
        let room = window.mayRegister(7)
        #expect(room)
    }
}
