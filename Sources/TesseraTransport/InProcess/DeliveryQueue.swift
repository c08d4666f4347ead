import DequeModule
import Dispatch
import Foundation
import Synchronization

/// Frames waiting for an in-process channel, with a blocking take for its one reader.
/// Thread-safe for senders; `take` is called from one thread at a time (a channel's reader).
final class DeliveryQueue: Sendable {
    /// Frames from one sender.
    struct Item: Sendable {
        let sender: PeerID
        let frames: [Data]
    }

    private struct State {
        var items: Deque<Item> = []
        /// Whether the reader sleeps on `signals` and no one has signalled it yet.
        var sleeping = false
        /// A wake-up that came while the reader was not sleeping: its next take returns at once.
        var woken = false
    }

    // Only a reader that is asleep is signalled: a busy reader takes what came on its next
    // turn, and a million messages between two threads do not each cost a system call.
    private let state = Mutex(State())
    private let signals = DispatchSemaphore(value: 0)

    /// Appends `item`, waking the reader if it sleeps.
    func put(_ item: Item) {
        let sleeper = state.withLock { state in
            state.items.append(item)
            return Self.takeSleeper(&state)
        }
        if sleeper { signals.signal() }
    }

    /// Makes the reader's take return now, or its next one at once (it returns nil if nothing came).
    func wake() {
        let sleeper = state.withLock { state in
            if Self.takeSleeper(&state) { return true }
            state.woken = true
            return false
        }
        if sleeper { signals.signal() }
    }

    /// The oldest item, waiting at most `timeout` seconds (nil: until one comes or a wake-up).
    func take(timeout: Double?) -> Item? {
        let ready: Item?? = state.withLock { state in
            if let item = state.items.popFirst() { return .some(item) }
            if state.woken {
                state.woken = false
                return .some(nil)
            }
            state.sleeping = true
            return nil
        }
        if let ready { return ready }
        let result: DispatchTimeoutResult
        if let timeout {
            result = signals.wait(timeout: .now() + .nanoseconds(Int(max(0, min(timeout, 1e6)) * 1e9)))
        } else {
            signals.wait()
            result = .success
        }
        // Timed out with no one signalling; else the signal (maybe sent just as the wait timed
        // out) is taken, so that it does not cut the next sleep short.
        let unsignalled = result == .timedOut && state.withLock { state in
            defer { state.sleeping = false }
            return state.sleeping
        }
        if result == .timedOut && !unsignalled { signals.wait() }
        return state.withLock { $0.items.popFirst() }
    }

    /// Whether the reader sleeps unsignalled; if so it is now counted as signalled.
    private static func takeSleeper(_ state: inout State) -> Bool {
        guard state.sleeping else { return false }
        state.sleeping = false
        return true
    }
}
