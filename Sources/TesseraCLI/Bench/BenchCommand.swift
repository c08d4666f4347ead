import ArgumentParser
import Foundation

/// `tessera bench`: kernel benchmarks.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the kernels (GFLOP/s, medians of repeated runs).",
        subcommands: [GEMMBenchCommand.self, ConvBenchCommand.self, TrainBenchCommand.self, TransportBenchCommand.self, TransportSinkCommand.self, SecureAggregationBenchCommand.self,
                      SharedMatmulBenchCommand.self, AccountantBenchCommand.self, AggregationBenchCommand.self]
    )
}

/// Options every benchmark shares.
struct BenchOptions: ParsableArguments {
    @Option(help: "Kernel threads (default: TESSERA_THREADS, else the core count).")
    var threads: Int?

    @Option(help: "Timed repetitions; the median is reported.")
    var reps = 7

    @Option(help: "Minimum seconds per repetition (the op is looped until then).")
    var minTime = 0.25

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if reps < 1 { throw ValidationError("--reps must be at least 1") }
        if !(minTime > 0) { throw ValidationError("--min-time must be positive") }
    }

    /// Sizes the kernel thread pool; must run before the first tensor op.
    func configureThreads() {
        if let threads { setenv("TESSERA_THREADS", String(threads), 1) }
    }
}
