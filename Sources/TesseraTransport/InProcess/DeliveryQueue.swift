import DequeModule
import Dispatch
import Foundation
import Synchronization

/// Frames waiting for an in-process channel, with a blocking take. Thread-safe.
final class DeliveryQueue: Sendable {
    /// Frames from one sender.
    struct Item: Sendable {
        let sender: PeerID
        let frames: [Data]
    }

    // Guards the items; the semaphore counts signals (one per item, plus wake-ups), so a
    // taker never sleeps past an item that is there.
    private let items = Mutex<Deque<Item>>([])
    private let signals = DispatchSemaphore(value: 0)

    /// Appends `item` and wakes one taker.
    func put(_ item: Item) {
        items.withLock { $0.append(item) }
        signals.signal()
    }

    /// Wakes a taker without an item (it returns nil).
    func wake() {
        signals.signal()
    }

    /// The oldest item, waiting at most `timeout` seconds (nil: until one comes or a wake-up).
    func take(timeout: Double?) -> Item? {
        if let item = pop() { return item }
        let result: DispatchTimeoutResult
        if let timeout {
            result = signals.wait(timeout: .now() + .nanoseconds(Int(max(0, min(timeout, 1e6)) * 1e9)))
        } else {
            signals.wait()
            result = .success
        }
        return result == .success ? pop() : nil
    }

    private func pop() -> Item? {
        items.withLock { $0.popFirst() }
    }
}
