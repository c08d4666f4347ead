import ArgumentParser
import Foundation
import TesseraTensor

/// `tessera bench gemm`: GFLOP/s of C = A·B on square sizes and the MNIST CNN's shapes, named
/// as in `../shared/bench/numpy_gemm.py` so the two can be compared side by side.
struct GEMMBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "Matrix multiply GFLOP/s (JSON: op, m, n, k, threads, gflops, seconds).")

    static let shapes: [(name: String, m: Int, k: Int, n: Int)] = [
        ("sq128", 128, 128, 128), ("sq256", 256, 256, 256), ("sq512", 512, 512, 512),
        ("sq1024", 1024, 1024, 1024), ("sq2048", 2048, 2048, 2048),
        ("im2col_fwd", 64 * 14 * 14, 32 * 25, 64), ("im2col_dW", 32 * 25, 64 * 14 * 14, 64),
        ("im2col_dX", 64 * 14 * 14, 64, 32 * 25), ("fc_fwd", 64, 3136, 512),
    ]

    @OptionGroup var options: BenchOptions

    @Option(help: "Comma-separated shape names (default: all).")
    var shapes: String?

    @Option(help: "An extra shape to measure, as M,K,N.")
    var mkn: String?

    @Flag(help: "Read A of the --mkn shape transposed (stored K × M), as a backward pass does.")
    var transposeA = false

    @Flag(help: "Read B of the --mkn shape transposed (stored N × K).")
    var transposeB = false

    private var extraShape: (name: String, m: Int, k: Int, n: Int)? {
        guard let mkn else { return nil }
        let sizes = mkn.split(separator: ",").compactMap { Int($0) }
        guard sizes.count == 3, sizes.allSatisfy({ $0 > 0 }) else { return nil }
        return ("custom", sizes[0], sizes[1], sizes[2])
    }

    func validate() throws {
        if mkn != nil && extraShape == nil { throw ValidationError("--mkn takes three positive sizes, M,K,N") }
        if mkn == nil && (transposeA || transposeB) { throw ValidationError("--transpose-a/--transpose-b apply to the --mkn shape") }
        let known = Set(Self.shapes.map(\.name))
        for name in selectedNames where !known.contains(name) {
            throw ValidationError("unknown shape '\(name)'; known: \(Self.shapes.map(\.name).joined(separator: ", "))")
        }
    }

    private var selectedNames: [String] {
        shapes?.split(separator: ",").map(String.init) ?? Self.shapes.map(\.name)
    }

    func run() throws {
        options.configureThreads()
        let threads = ThreadPool.shared.threadCount
        let stopwatch = Stopwatch(reps: options.reps, minTime: options.minTime)
        if !options.json {
            print("shape           M      K      N  threads  GFLOP/s   seconds  clean")
        }
        let chosen = extraShape.map { [$0] } ?? Self.shapes.filter { selectedNames.contains($0.name) }
        for shape in chosen {
            let (ta, tb) = (transposeA, transposeB)
            let a = try Tensor.uniform(ta ? [shape.k, shape.m] : [shape.m, shape.k], low: -1, high: 1, seed: 1)
            let b = try Tensor.uniform(tb ? [shape.n, shape.k] : [shape.k, shape.n], low: -1, high: 1, seed: 2)
            var c = try Tensor.zeros([shape.m, shape.n])
            let samples = try stopwatch.measure {
                if ta || tb {
                    c = try a.matmul(b, transposingSelf: ta, transposingOther: tb)
                } else {
                    try Tensor.matmul(a, b, into: &c)
                }
            }
            let seconds = samples.seconds.median
            let gflops = 2.0 * Double(shape.m * shape.k * shape.n) / seconds / 1e9
            if options.json {
                printJSONLine(["op": "gemm", "shape": shape.name, "m": shape.m, "n": shape.n, "k": shape.k,
                               "threads": threads, "gflops": gflops, "seconds": seconds, "clean_reps": samples.clean])
            } else {
                print(shape.name.padding(toLength: 11, withPad: " ", startingAt: 0)
                      + String(format: "%6d %6d %6d %8d %8.1f %9.5f  %d/%d", shape.m, shape.k, shape.n, threads,
                               gflops, seconds, samples.clean, samples.seconds.count))
            }
        }
    }
}
