import CTesseraKernel
import Dispatch
import Foundation
import Synchronization
import TesseraNN
import TesseraTransport

/// What the scheduler's driver does away from its message loop, one job at a time in the order
/// given: evaluating a model on the test set, writing a round's metrics and checkpoint. Each can
/// take seconds on a busy machine, and a loop that did them itself would hear nothing meanwhile
/// (and send no heartbeats), so workers would take it for gone and it would take them for lost.
/// The loop hands jobs in and takes what came of them; the channel is woken when one ends.
///
/// The jobs run on one thread of their own, named `tessera-bg`, so that the loop's CPU time
/// and theirs can be told apart (`scripts/sim_rounds.py`, `perf report --sort comm`). It ends
/// at ``finish()``.
final class BackgroundWork: Sendable {
    /// What came of a job.
    enum Outcome: Sendable {
        /// An evaluation, in the order they were asked for.
        case evaluated(Result<Evaluation, any Error>)
        /// A write that failed (the run cannot go on without its records).
        case failed(any Error)
    }

    private typealias Job = @Sendable () -> Void

    /// Jobs handed in and not yet started, and whether ``finish()`` was called.
    private let jobs = Mutex<(waiting: [Job], finishing: Bool)>(([], false))
    /// Signalled once for each job handed in, and on finishing.
    private let queued = DispatchSemaphore(value: 0)
    /// Guards the outcomes not yet taken by the loop.
    private let outcomes = Mutex<[Outcome]>([])
    private let waker: Waker

    /// Background work that wakes `channel` when a job ends; its thread runs until ``finish()``.
    init(waking channel: any MessageChannel) {
        waker = Waker(channel: channel)
        Thread { [self] in work() }.start()
    }

    /// Runs `evaluation` after the jobs before it; its result becomes an ``Outcome/evaluated(_:)``.
    func evaluate(_ evaluation: @escaping @Sendable () throws -> Evaluation) {
        submit { [self] in
            let result = Result { try evaluation() }
            self.outcomes.withLock { $0.append(.evaluated(result)) }
            self.waker.wake()
        }
    }

    /// Runs `write` after the jobs before it; an error it throws becomes an ``Outcome/failed(_:)``.
    func record(_ write: @escaping @Sendable () throws -> Void) {
        submit { [self] in
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
        let done = DispatchSemaphore(value: 0)
        submit { done.signal() }
        done.wait()
    }

    /// Runs the jobs handed in so far, then ends the thread. Nothing may be handed in after.
    func finish() {
        jobs.withLock { $0.finishing = true }
        queued.signal()
    }

    private func submit(_ job: @escaping Job) {
        jobs.withLock { $0.waiting.append(job) }
        queued.signal()
    }

    /// The thread: runs the jobs one at a time, in order, until finished and none is left.
    private func work() {
        tessera_name_this_thread("tessera-bg")
        while true {
            queued.wait()
            while let job = jobs.withLock({ $0.waiting.isEmpty ? nil : $0.waiting.removeFirst() }) { job() }
            if jobs.withLock({ $0.finishing && $0.waiting.isEmpty }) { return }
        }
    }

    /// Wakes a channel's receive from the background thread.
    private struct Waker: @unchecked Sendable {
        // @unchecked: only `wake()` is called from other threads, which MessageChannel
        // documents as thread-safe.
        let channel: any MessageChannel

        func wake() { channel.wake() }
    }
}
