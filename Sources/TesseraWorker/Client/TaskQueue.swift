import Foundation
import Synchronization
import TesseraTransport
import TesseraWire

/// Where a driver runs its clients' tasks: one at a time, on a thread of its own, so the message
/// loop goes on (heartbeats, other requests) meanwhile, and the clients of one process share
/// the kernel's threads instead of competing for them. Each answer comes back with the client
/// it is for and the seconds it computed.
final class TaskQueue: Sendable {
    private struct State {
        var waiting: [(client: Int, task: ClientTask)] = []
        var running = false
        var finished: [(client: Int, answer: Message, seconds: Double)] = []
    }

    private let state = Mutex(State())

    /// Queues `task` of client `client` (an index the driver chose); it starts when the ones
    /// before it are done.
    func enqueue(_ task: ClientTask, for client: Int) {
        state.withLock { $0.waiting.append((client, task)) }
        startNext()
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

    /// Starts the next waiting task on a new thread, unless one runs.
    private func startNext() {
        let next: (client: Int, task: ClientTask)? = state.withLock { state in
            guard !state.running, !state.waiting.isEmpty else { return nil }
            state.running = true
            return state.waiting.removeFirst()
        }
        guard let next else { return }
        let thread = Thread { [self] in
            let clock = SystemClock()
            let start = clock.now
            let answer = next.task.run()
            let seconds = clock.now - start
            state.withLock { state in
                state.finished.append((next.client, answer, seconds))
                state.running = false
            }
            startNext()
        }
        thread.name = "tessera.task"
        thread.start()
    }
}
