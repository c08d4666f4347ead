import Foundation
import Synchronization

/// SIGINT and SIGTERM as a flag a serving loop polls.
enum StopSignal {
    private static let raised = Atomic<Bool>(false)

    /// Installs handlers for SIGINT and SIGTERM that set the flag, and unblocks both (a parent
    /// that blocked them, as test runners do, would otherwise pass the block on to us).
    static func install() {
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
    static var isRaised: Bool { raised.load(ordering: .relaxed) }
}
