import ArgumentParser
import Foundation
import TesseraTensor

/// `tessera bench conv`: GFLOP/s of the FedAvg MNIST CNN's two convolutions (5×5, padding 2),
/// forward and both backward passes, at batch 32 and 64.
struct ConvBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv", abstract: "Convolution GFLOP/s (JSON: op, layer, batch, pass, gflops, seconds).")

    static let layers: [(name: String, input: Int, output: Int, size: Int)] = [
        ("conv1", 1, 32, 28), ("conv2", 32, 64, 14),
    ]

    @OptionGroup var options: BenchOptions

    func run() throws {
        options.configureThreads()
        let stopwatch = Stopwatch(reps: options.reps, minTime: options.minTime)
        let convolution = Conv2DOptions(padding: 2)
        if !options.json { print("layer  batch  pass              GFLOP/s   seconds") }
        for layer in Self.layers {
            for batch in [32, 64] {
                let x = try Tensor.uniform([batch, layer.input, layer.size, layer.size], low: -1, high: 1, seed: 1)
                let w = try Tensor.uniform([layer.output, layer.input, 5, 5], low: -0.1, high: 0.1, seed: 2)
                let dy = try Tensor.uniform([batch, layer.output, layer.size, layer.size], low: -1, high: 1, seed: 3)
                let flops = 2.0 * Double(batch * layer.output * layer.size * layer.size * layer.input * 25)
                let passes: [(String, () throws -> Void)] = [
                    ("forward", { _ = try x.conv2d(weight: w, options: convolution) }),
                    ("backward-input", { _ = try Tensor.conv2dInputGradient(dy, weight: w, inputShape: x.shape, options: convolution) }),
                    ("backward-weight", { _ = try Tensor.conv2dWeightGradient(dy, input: x, weightShape: w.shape, options: convolution) }),
                ]
                for (pass, body) in passes {
                    let samples = try stopwatch.measure(body)
                    let seconds = samples.seconds.median
                    let gflops = flops / seconds / 1e9
                    if options.json {
                        printJSONLine(["op": "conv2d", "layer": layer.name, "batch": batch, "pass": pass,
                                       "gflops": gflops, "seconds": seconds, "clean_reps": samples.clean])
                    } else {
                        print(layer.name.padding(toLength: 7, withPad: " ", startingAt: 0)
                              + String(format: "%5d  ", batch) + pass.padding(toLength: 16, withPad: " ", startingAt: 0)
                              + String(format: "%8.1f %9.5f", gflops, seconds))
                    }
                }
            }
        }
    }
}
