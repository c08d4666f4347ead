import ArgumentParser
import Foundation
import TesseraNN
import TesseraTensor

/// `tessera bench aggregate`: what a synchronous round's aggregation costs the scheduler per
/// update: summing the round's models, weighted, while measuring each one's change (one pass
/// over each, as the round closes), two updates at a time and split over the kernel pool as the
/// scheduler does (`TESSERA_THREADS=1`: on one thread) and one at a time as it did, beside a plain read of each update (Float sums, the hardware's prefetcher
/// alone: the pass asks for its data ahead and can beat it), and the same round's updates sent
/// as changes in bfloat16 (`training.update_precision: bfloat16`: half the bytes, no distance
/// to the global model to take). The updates are as many separate models as a round brings,
/// so they are read from memory, not cache. Rounds alternate between the four; medians are
/// reported.
struct AggregationBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "A round's sum and change norms, µs per update: two at a time, one at a time, a plain read, and bfloat16 changes (medians).")

    @Option(help: "A built-in model, or a YAML or JSON file declaring one.")
    var model = ModelSpec.mnist2NN

    @Option(help: "Updates in a round.")
    var updates = 100

    @Option(help: "Timed rounds of each kind; the median is reported.")
    var reps = 15

    func validate() throws {
        guard updates >= 2, reps >= 1 else { throw ValidationError("--updates must be at least 2 and --reps at least 1") }
    }

    func run() throws {
        let global = try Model(spec: model, seed: 1).parameters
        // The updates are all held at once, as a round holds them: more than half the memory is
        // refused with a clear error rather than swapped or killed.
        let bytes = Double(updates + 2) * Double(global.scalarCount) * 4
        guard bytes <= Double(ProcessInfo.processInfo.physicalMemory) / 2 else {
            throw ValidationError(String(format: "%d updates of %@ take %.1f GB, more than half this machine's memory: ask for fewer with --updates",
                                         updates, model.name, bytes / 1e9))
        }
        let sets = try (0..<updates).map { index in
            try ParameterSet(global.names.enumerated().map { position, name in
                (name: name, tensor: try Tensor.normal(global.tensors[position].shape, seed: UInt64(index * 1_000 + position)))
            })
        }
        let changes = try sets.map { set in try ParameterSet(zip(set.names, set.tensors).map { (name: $0, tensor: $1.roundedToBFloat16()) }) }
        let isChange = [Bool](repeating: true, count: updates)
        let weights = [Float](repeating: 1 / Float(updates), count: updates)
        var times: [String: [Double]] = [:]
        var check = 0.0
        for _ in 0..<reps {
            times["two at a time", default: []].append(try seconds {
                check += try ParameterSet.weightedSum(sets, weights: weights, measuringDistancesTo: global).distances[0]
            })
            times["one at a time", default: []].append(try seconds { check += try oneAtATime(sets, weights, global) })
            times["plain read", default: []].append(seconds { check += sets.reduce(0) { $0 + Double(Self.read($1)) } })
            times["bfloat16 changes", default: []].append(try seconds {
                check += try ParameterSet.weightedSum(changes, weights: weights, measuringDistancesTo: global, isChange: isChange).distances[0]
            })
        }
        print("\(model.name): \(global.scalarCount) parameters, \(updates) updates a round, median of \(reps) rounds (\(check.isFinite ? "finite" : "not finite"))")
        for kind in ["two at a time", "one at a time", "plain read", "bfloat16 changes"] {
            print(String(format: "%@: %.1f µs per update", kind, 1e6 * (times[kind] ?? []).median / Double(updates)))
        }
    }

    /// The sum and the first change's squared norm, adding the updates one at a time.
    private func oneAtATime(_ sets: [ParameterSet], _ weights: [Float], _ base: ParameterSet) throws -> Double {
        var sum = sets[0].scaled(by: weights[0]).tensors
        var first = 0.0
        for (position, set) in sets.enumerated().dropFirst() {
            for index in set.tensors.indices {
                let distance = try sum[index].add(set.tensors[index], scaledBy: weights[position],
                                                          measuringDistanceTo: base.tensors[index])
                if position == 1 { first += distance }
            }
        }
        return first
    }

    /// Every value of `set` read once and added in Float lanes: next to nothing but the reading
    /// (a norm in Double would convert each value and cost more than the reading does).
    private static func read(_ set: ParameterSet) -> Float {
        set.tensors.reduce(0) { total, tensor in
            tensor.withFloats { values, count in
                guard let values else { return total }
                var (first, second) = (SIMD8<Float>(), SIMD8<Float>())
                var index = 0
                while index + 16 <= count {
                    first += UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
                    second += UnsafeRawPointer(values + index + 8).loadUnaligned(as: SIMD8<Float>.self)
                    index += 16
                }
                return total + (first + second).sum() + (index..<count).reduce(0) { $0 + values[$1] }
            }
        }
    }

    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
