import Foundation
import Testing
import TesseraScheduler
import TesseraWire

/// A benchmark, not a unit test (run with `TESSERA_SCALE_BENCH=1 swift test -c release --filter
/// SecureScaleBenchmark`): one SecAgg+ round of n clients through the scheduler's state machine
/// and the real protocol, the clients played in this process on the in-process hub, reporting
/// each client's protocol bytes and seconds (medians) and the round's wall time.
@Suite("Secure aggregation at scale", .enabled(if: ProcessInfo.processInfo.environment["TESSERA_SCALE_BENCH"] != nil,
                                               "a benchmark: run it with TESSERA_SCALE_BENCH=1 (BENCHMARKS.md)"),
       .serialized)
struct SecureScaleBenchmark {
    @Test(arguments: [10, 100, 1000])
    func secAggPlusRoundThroughTheScheduler(clients: Int) throws {
        var settings = InProcessFederation.configuration(workers: clients, rounds: 1)
        settings.secureProtocol = .secaggPlus
        (settings.deadline, settings.registrationTimeout, settings.secureStepTimeout) = (3600, 3600, 3600)
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [Int](repeating: 100, count: clients),
                                                                               heldOut: [Int](repeating: 0, count: clients)))
        let workers = try federation.join((0..<clients).map { String(format: "w%04d", $0) }).map { SecureWorker($0, shift: 1, samples: 100) }
        let start = Date()
        try federation.play(workers)
        let seconds = Date().timeIntervalSince(start)
        let round = try #require(federation.rounds.first)
        #expect(round.aggregated && round.contributors.count == clients)
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        // The steps whose size follows the neighbourhood, and those that name every member.
        let local: [SecureAggregationStep.Kind] = [.shares, .relayedShares, .unmasking, .maskedInput]
        let bytes = { (kinds: [SecureAggregationStep.Kind]) in median(workers.map { worker in Double(kinds.reduce(0) { $0 + (worker.protocolBytes[$1] ?? 0) }) }) }
        print(String(format: "secagg+ through the scheduler: %d clients, %d neighbours; a client's protocol bytes: %.0f for its shares, relayed shares and unmasking, %.0f for the roster and survivors; %.2f ms a client (medians); round %.1f s",
                     clients, workers[0].tasks.first?.secureNeighbours ?? -1, bytes(local), bytes([.roster, .survivors, .keys]),
                     1000 * median(workers.map(\.protocolSeconds)), seconds))
    }
}
