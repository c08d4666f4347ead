import Foundation
import DequeModule
import Synchronization
import TesseraTensor
import TesseraTrace
import TesseraWire

/// A channel whose messages, both ways, travel a simulated ``LinkProfile``: each waits for the
/// link to be free, occupies it for its size over the bandwidth plus any retransmissions, and
/// arrives a latency later. Outgoing messages are held here and handed to the channel under it
/// from the owner's own calls (``receive(timeout:)`` waits no longer than the next is due, and
/// ``close()`` sends what is left), so the channel under it stays on one thread. Every delayed
/// message is traced as a `simulated link` span, so traces show what was simulated.
///
/// Complexity: O(packets) per message to draw its lost packets, when loss is on.
public final class SimulatedLinkChannel: MessageChannel {
    private struct Held<Item> {
        let due: Double
        let item: Item
        let since: UInt64
        let detail: String
    }

    private let base: any MessageChannel
    /// The link.
    public let profile: LinkProfile
    private let clock: any MonotonicClock
    private let tracer: TraceWriter?
    private var generator: SeededGenerator
    private var outgoing: Deque<Held<(EncodedMessage?, [Data], PeerID?)>> = []
    private var incoming: Deque<Held<Delivery>> = []
    /// When each direction's link is next free.
    private var upFree = 0.0, downFree = 0.0
    /// Set by ``wake()``: a receive that finds it returns at once.
    private let woken = Atomic(false)

    /// `base` behind `profile`, its losses drawn from `seed`, timed by `clock`.
    public init(_ base: any MessageChannel, profile: LinkProfile, seed: UInt64, clock: any MonotonicClock = SystemClock(),
                tracer: TraceWriter? = nil) {
        self.base = base
        self.profile = profile
        self.clock = clock
        self.tracer = tracer
        generator = SeededGenerator(seed: seed)
    }

    public var codec: WireCodec { base.codec }
    public var address: String { base.address }
    public var refusedHandshakes: Int { base.refusedHandshakes }

    /// When a message of `bytes` sent now on the link free at `free` arrives, and why.
    private func schedule(_ bytes: Int, free: inout Double, what: String) -> (due: Double, detail: String) {
        let now = clock.now
        let lost = profile.lostPackets(bytes, using: &generator)
        let occupied = profile.transferTime(bytes) + Double(lost) * profile.retransmissionTimeout
        free = max(free, now) + occupied
        let due = free + profile.latency
        var detail = String(format: "%@ %d bytes: %.3f s (latency %.3f s", what, bytes, due - now, profile.latency)
        if profile.bytesPerSecond != nil { detail += String(format: ", transfer %.3f s", profile.transferTime(bytes)) }
        if lost > 0 { detail += ", \(lost) packets resent" }
        return (due, detail + ")")
    }

    public func send(_ message: EncodedMessage, to peer: PeerID?) throws {
        let (due, detail) = schedule(message.byteCount, free: &upFree, what: "send \(message.envelope.message.kindName)")
        outgoing.append(Held(due: due, item: (message, [], peer), since: TraceEvent.now(), detail: detail))
        try flushDue()
    }

    public func sendRaw(_ frames: [Data], to peer: PeerID?) throws {
        let (due, detail) = schedule(frames.reduce(0) { $0 + $1.count }, free: &upFree, what: "send raw")
        outgoing.append(Held(due: due, item: (nil, frames, peer), since: TraceEvent.now(), detail: detail))
        try flushDue()
    }

    /// Hands the outgoing messages that are due (all, when `everything`) to the channel under it.
    private func flushDue(everything: Bool = false) throws {
        while let first = outgoing.first, everything || first.due <= clock.now {
            outgoing.removeFirst()
            let (message, frames, peer) = first.item
            if let message { try base.send(message, to: peer) } else { try base.sendRaw(frames, to: peer) }
            tracer?.span("simulated link", start: first.since, detail: first.detail)
        }
    }

    public func receive(timeout: Double?) throws -> Delivery? {
        let deadline = timeout.map { clock.now + $0 }
        while true {
            try flushDue()
            let now = clock.now
            if let first = incoming.first, first.due <= now {
                incoming.removeFirst()
                tracer?.span("simulated link", start: first.since, detail: first.detail)
                return first.item
            }
            if let deadline, now >= deadline { return nil }
            let next = [deadline, incoming.first?.due, outgoing.first?.due].compactMap { $0 }.min()
            let wait = next.map { max(0, $0 - now) }
            guard let delivery = try base.receive(timeout: wait) else {
                // Nothing came: someone woke us, or the wait ran out (go round again).
                if woken.exchange(false, ordering: .relaxed) || next == nil { return nil }
                continue
            }
            let kind = (try? delivery.envelope.get().message.kindName) ?? "malformed"
            let (due, detail) = schedule(delivery.byteCount, free: &downFree, what: "receive \(kind)")
            incoming.append(Held(due: due, item: delivery, since: TraceEvent.now(), detail: detail))
        }
    }

    public func wake() {
        woken.store(true, ordering: .relaxed)
        base.wake()
    }

    /// Sends what is still held (without waiting for its time), then closes the channel under it.
    public func close() {
        try? flushDue(everything: true)
        base.close()
    }
}
