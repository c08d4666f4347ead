import CTesseraKernel
import DequeModule
import Foundation
import Synchronization
import TesseraTensor
import TesseraTransport
import TesseraWire

/// Where a driver runs its clients' tasks: one at a time, on a thread of its own, so the message
/// loop goes on (heartbeats, other requests) meanwhile, and the clients of one process share
/// the kernel's threads instead of competing for them. Each answer comes back with the client
/// it is for and the seconds it computed.
final class TaskQueue: Sendable {
    private struct State {
        var waiting: Deque<(client: Int, task: ClientTask)> = []
        var running = false
        var started = false
        var closed = false
        var finished: [(client: Int, answer: Message, seconds: Double)] = []
    }

    private let state = Mutex(State())
    /// Signalled once for each task queued, and on closing.
    private let queued = DispatchSemaphore(value: 0)
    /// Whether the process's free memory is given back whenever the queue runs dry.
    private let releasesMemoryWhenIdle: Bool

    /// A queue that gives the process's free memory back whenever it runs dry, or not.
    init(releasesMemoryWhenIdle: Bool) {
        self.releasesMemoryWhenIdle = releasesMemoryWhenIdle
    }

    /// Queues `task` of client `client` (an index the driver chose); it starts when the ones
    /// before it are done.
    func enqueue(_ task: ClientTask, for client: Int) {
        let start = state.withLock { state in
            state.waiting.append((client, task))
            defer { state.started = true }
            return !state.started
        }
        // One thread for the queue's life, started with its first task: a process's threads
        // stay few and each one's time can be told apart (training is `tessera-task`).
        if start { Thread { [self] in work() }.start() }
        queued.signal()
    }

    /// The answers finished since the last call, in the order they finished.
    func takeFinished() -> [(client: Int, answer: Message, seconds: Double)] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    /// Whether a task runs or waits.
    var isBusy: Bool { state.withLock { $0.running || !$0.waiting.isEmpty } }

    /// Lets the queue's thread end once the task running, if any, is done; tasks still waiting
    /// are dropped.
    func close() {
        state.withLock { state in
            state.closed = true
            state.waiting.removeAll()
        }
        queued.signal()
    }

    /// The queue's thread: runs the waiting tasks one at a time, in order, until closed.
    private func work() {
        tessera_name_this_thread("tessera-task")
        let clock = SystemClock()
        while true {
            queued.wait()
            var ran = false
            while let next = state.withLock({ state -> (client: Int, task: ClientTask)? in
                state.running = !state.waiting.isEmpty
                return state.waiting.popFirst()
            }) {
                let start = clock.now
                let answer = next.task.run()
                let seconds = clock.now - start
                state.withLock { $0.finished.append((next.client, answer, seconds)) }
                ran = true
            }
            // The tasks' activations and gradients are free now: with ten workers sharing a
            // machine, idle ones should not hold their training peak (about 60 MB each). Not
            // after every task, nor in a process hosting many clients: it would fault the same
            // pages in again for the next (and, in-process, stop every core to flush them, the
            // scheduler's too). (A wake-up left over from tasks already run has nothing to give
            // back.)
            if ran && releasesMemoryWhenIdle { AllocatorTuning.releaseFreeMemory() }
            if state.withLock({ $0.closed }) { return }
        }
    }
}
