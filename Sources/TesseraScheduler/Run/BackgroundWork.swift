import Dispatch
import Synchronization
import TesseraNN
import TesseraTransport

/// What the scheduler's driver does away from its message loop, one job at a time in the order
/// given: evaluating a model on the test set, writing a round's metrics and checkpoint. Each can
/// take seconds on a busy machine, and a loop that did them itself would hear nothing meanwhile
/// (and send no heartbeats), so workers would take it for gone and it would take them for lost.
/// The loop hands jobs in and takes what came of them; the channel is woken when one ends.
final class BackgroundWork: Sendable {
    /// What came of a job.
    enum Outcome: Sendable {
        /// An evaluation, in the order they were asked for.
        case evaluated(Result<Evaluation, any Error>)
        /// A write that failed (the run cannot go on without its records).
        case failed(any Error)
    }

    private let queue = DispatchQueue(label: "tessera.scheduler.background")
    /// Guards the outcomes not yet taken by the loop.
    private let outcomes = Mutex<[Outcome]>([])
    private let waker: Waker

    /// Background work that wakes `channel` when a job ends.
    init(waking channel: any MessageChannel) {
        waker = Waker(channel: channel)
    }

    /// Runs `evaluation` after the jobs before it; its result becomes an ``Outcome/evaluated(_:)``.
    func evaluate(_ evaluation: @escaping @Sendable () throws -> Evaluation) {
        queue.async { [self] in
            let result = Result { try evaluation() }
            self.outcomes.withLock { $0.append(.evaluated(result)) }
            self.waker.wake()
        }
    }

    /// Runs `write` after the jobs before it; an error it throws becomes an ``Outcome/failed(_:)``.
    func record(_ write: @escaping @Sendable () throws -> Void) {
        queue.async { [self] in
            do {
                try write()
            } catch {
                self.outcomes.withLock { $0.append(.failed(error)) }
                self.waker.wake()
            }
        }
    }

    /// What came of the jobs that ended since the last call, in order.
    func takeOutcomes() -> [Outcome] {
        outcomes.withLock { outcomes in
            defer { outcomes = [] }
            return outcomes
        }
    }

    /// Waits until every job handed in so far has ended.
    func waitUntilDone() {
        queue.sync {}
    }

    /// Wakes a channel's receive from the background thread.
    private struct Waker: @unchecked Sendable {
        // @unchecked: only `wake()` is called from other threads, which MessageChannel
        // documents as thread-safe.
        let channel: any MessageChannel

        func wake() { channel.wake() }
    }
}
