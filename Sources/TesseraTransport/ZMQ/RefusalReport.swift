import Foundation
import Logging
import Synchronization
import TesseraTrace

/// Part of the ZeroMQ implementation. Tells of the connections a bound socket refused at the
/// handshake (unlisted keys, clients without keys): each is traced (`refused handshake`), and
/// logged as a warning, the first of each kind at once and then at most once every
/// ``interval`` seconds with how many came meanwhile, so a flood of them cannot flood the log.
final class RefusalReport: Sendable {
    /// Seconds between log lines of one kind.
    static let interval = 10.0
    private let tracer: TraceWriter?
    private let clock = SystemClock()
    /// Per kind: when it was last logged, and how many came since.
    private let logged = Mutex<[String: (at: Double, since: Int)]>([:])
    private let total = Atomic<Int>(0)

    /// Refusals so far.
    var count: Int { total.load(ordering: .relaxed) }

    /// A report tracing to `tracer` (nil: logging only).
    init(tracer: TraceWriter?) {
        self.tracer = tracer
    }

    /// A refusal of `kind`, described by `sentence`.
    func note(kind: String, _ sentence: String) {
        total.add(1, ordering: .relaxed)
        tracer?.span("refused handshake", start: TraceEvent.now(), detail: sentence)
        let now = clock.now
        let earlier: Int? = logged.withLock { logged in
            guard let last = logged[kind] else {
                logged[kind] = (now, 0)
                return 0
            }
            guard now - last.at >= Self.interval else {
                logged[kind]?.since += 1
                return nil
            }
            logged[kind] = (now, 0)
            return last.since
        }
        guard let earlier else { return }
        let more = earlier > 0 ? " (and \(earlier) more like it in the last \(Int(Self.interval)) s or so)" : ""
        Logger(label: "tessera.transport").warning("\(sentence)\(more)")
    }
}
