import Foundation
import TesseraTensor

/// Mutated messages sent to a live process through its socket, with well-formed requests among
/// them that must still be answered: the process-level fuzz test. An exit, a hang or a lost
/// answer is a failure, which the in-process fuzz targets cannot see (an error escaping the
/// handler ends a process, not a handler call).
public enum LiveFuzz {
    /// How many mutated messages a live fuzz test sends: `TESSERA_LIVE_FUZZ_COUNT` (`make fuzz`
    /// sets 1,000,000), else 20,000.
    public static var count: Int {
        ProcessInfo.processInfo.environment["TESSERA_LIVE_FUZZ_COUNT"].flatMap(Int.init) ?? 20_000
    }

    /// Sends `count` mutations of ``WireCorpus`` messages (drawn from `seed`) through `send`, and
    /// calls `probe` after every `probeEvery` of them and at the end with how many were sent; a
    /// probe throws when its well-formed request went unanswered or the process is gone. Stops
    /// early, before a probe, once `isOver` says the process's work is done (a run that ended);
    /// returns how many were sent.
    @discardableResult
    public static func campaign(count: Int, seed: UInt64, probeEvery: Int = 500, isOver: () -> Bool = { false },
                                send: ([Data]) throws -> Void, probe: (Int) throws -> Void) throws -> Int {
        var generator = SeededGenerator(seed: seed)
        let seeds = try WireCorpus.encodedMessages()
        for index in 0..<count {
            try send(WireCorpus.mutate(seeds[Int(generator.next() % UInt64(seeds.count))], using: &generator))
            if (index + 1) % probeEvery == 0 {
                if isOver() { return index + 1 }
                try probe(index + 1)
            }
        }
        try probe(count)
        return count
    }
}

extension LiveFuzz {
    /// Runs `probe`; an error it throws comes back saying how many mutated messages were sent
    /// and what `process` printed last (a crash's message and backtrace, when it kept its errors).
    public static func explainingFailure(of process: ProcessHarness, after sent: Int, _ probe: () throws -> Void) throws {
        do {
            try probe()
        } catch {
            let status = process.process.isRunning ? "running" : "exited with status \(process.process.terminationStatus)"
            throw HarnessError(description: "after \(sent) mutated messages: \(error) (the process is \(status)); its last lines:\n"
                + process.outputLines.suffix(40).joined(separator: "\n"))
        }
    }
}
