import ArgumentParser
import Foundation
import TesseraNN
import TesseraScheduler
import TesseraTrace
import TesseraWorker

/// `tessera scheduler`: synchronous FedAvg over workers that connect to it.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run synchronous FedAvg rounds over workers that connect (tessera worker --connect).",
        discussion: "Prints 'scheduler listening on ENDPOINT' when ready, then one line per round. Writes metrics.jsonl, metrics.csv, checkpoint.safetensors and traces to --run-dir.")

    @Option(help: "Where to bind (tcp://*:5555; tcp://127.0.0.1:0 picks a port).")
    var bind = "tcp://127.0.0.1:5555"

    @Option(help: "Workers to wait for before round 1.")
    var workers: Int

    @Option(help: "Rounds.")
    var rounds = 3

    @Option(help: "Fraction of workers sampled per round (C).")
    var fraction = 1.0

    @Option(help: "Local epochs (E).")
    var epochs = 1

    @Option(help: "Local batch size (B).")
    var batch = 32

    @Option(help: "Local SGD learning rate.")
    var lr: Float = 0.05

    @Option(help: "Seconds a round waits for updates.")
    var deadline = 600.0

    @Option(help: "Updates needed to aggregate a round (default: 1).")
    var quorum: Int?

    @Option(help: "Built-in model.")
    var model = "mnist-cnn"

    @Option(help: "MNIST directory or 'synthetic' (as the workers see it).")
    var data = "synthetic"

    @Option(help: "iid, dirichlet or shards.")
    var partition = "iid"

    @Option(help: "fedavg, fedavgm, fedprox, fedadam or fedyogi.")
    var strategy = "fedavg"

    @Option(help: "Server learning rate (fedavgm 1, fedadam/fedyogi 0.01 by default).")
    var serverLr: Float?

    @Option(help: "Server momentum (fedavgm).")
    var serverMomentum: Float = 0.9

    @Option(help: "Proximal coefficient mu (fedprox).")
    var mu: Float = 0.01

    @Option(help: "Seed for initialization, sampling and partition.")
    var seed: UInt64 = 1

    @Option(help: "Run directory.")
    var runDir = "runs/latest"

    @Option(help: "Seconds of silence after which an idle worker is lost (workers heartbeat every second).")
    var heartbeatTimeout = 10.0

    @Option(help: "Fraction of each worker's data held out from training; when positive, the workers also evaluate every round's model on it.")
    var heldOut = 0.0

    @Flag(help: "Continue the run in --run-dir from its checkpoint (same seed and settings).")
    var resume = false

    @Flag(help: "One JSON object per round instead of text.")
    var json = false

    func run() throws {
        guard let kind = RunConfiguration.PartitionKind(rawValue: partition) else {
            throw ValidationError("--partition must be iid, dirichlet or shards")
        }
        let directory = URL(fileURLWithPath: runDir)
        let choice = try StrategyChoice(name: strategy, serverLearningRate: serverLr, serverMomentum: serverMomentum, mu: mu)
        let configuration = SchedulerConfiguration(
            bind: bind, workers: workers, rounds: rounds, fraction: fraction, quorum: quorum, deadline: deadline,
            hyperparameters: Hyperparameters(epochs: epochs, batchSize: batch, learningRate: lr, proximalMu: choice.clientMu),
            model: try ModelSpec.named(model), data: data, partition: kind, seed: seed, runDirectory: directory,
            strategy: choice.makeStrategy(), resume: resume, heartbeatTimeout: heartbeatTimeout, heldOutFraction: heldOut)
        let scheduler = try SyncScheduler(configuration: configuration,
                                          tracer: try TraceWriter(directory: directory.appendingPathComponent("traces"), process: "scheduler"))
        FileHandle.standardOutput.write(Data("scheduler listening on \(scheduler.address)\n".utf8))
        let started = Date()
        scheduler.onRound = { result in
            if json {
                printJSONLine(["round": result.round, "accuracy": result.accuracy, "loss": result.loss,
                               "seconds": result.seconds, "sampled": result.sampled, "received": result.received,
                               "late": result.late, "aggregated": String(result.aggregated),
                               "federated_accuracy": result.federated?.accuracy ?? Double.nan])
            } else {
                print(String(format: "round %d: accuracy %.2f%%, loss %.4f, %.1f s, workers %d/%d%@%@", result.round,
                             result.accuracy * 100, result.loss, result.seconds, result.received, result.sampled,
                             result.late > 0 ? " (\(result.late) late)" as NSString : "" as NSString,
                             result.federated.map { "; \($0.summary)" as NSString } ?? "" as NSString))
            }
        }
        let results = try scheduler.run()
        if !json, let last = results.last {
            print(String(format: "final accuracy %.2f%% after %d rounds, %.1f s in all; run in %@", last.accuracy * 100,
                         results.count, Date().timeIntervalSince(started), directory.path))
        }
    }
}
