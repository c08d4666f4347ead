import ArgumentParser
import Foundation
import TesseraData
import TesseraNN
import TesseraTensor

/// `tessera train`: centralized training of a built-in model, then evaluation on the test set.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on one machine and evaluate it on the test set.",
        discussion: "Data: --data DIR, else TESSERA_DATA, ../shared/data/mnist, ~/.cache/tessera/mnist; without MNIST the built-in synthetic digits are used.")

    @Option(help: "Built-in model.")
    var model = ModelSpec.mnistCNN

    @Option(help: "Passes over the training set.")
    var epochs = 1

    @Option(name: [.customLong("batch-size"), .customLong("batch")], help: "Batch size.")
    var batch = 32

    // Unconditional: `--lr -0.05` reaches the check below instead of reading as an option.
    @Option(parsing: .unconditional, help: "Learning rate.")
    var lr: Float = 0.05

    @Option(parsing: .unconditional, help: "SGD momentum (0: plain SGD).")
    var momentum: Float = 0

    @Option(help: "Seed for initialization and shuffling.")
    var seed: UInt64 = 1

    @Option(help: "MNIST directory, or 'synthetic'.")
    var data: String?

    @Option(help: "Where to write the trained weights (safetensors).")
    var checkpoint = "runs/train/model.safetensors"

    @Option(help: "Train on only the first N images (0: all).")
    var limit = 0

    @Flag(help: "No progress bar.")
    var quiet = false

    @Flag(help: "One JSON object per epoch and a final one, instead of text.")
    var json = false

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, not \(epochs)") }
        guard batch >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batch)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, not \(lr)") }
        guard momentum >= 0, momentum < 1 else { throw ValidationError("--momentum must be in [0, 1), not \(momentum)") }
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more, not \(limit)") }
    }

    func run() throws {
        let started = Date()
        let source = try DataSource.locate(explicit: data)
        if !json { print(source.summary) }
        var (train, test) = try source.load(seed: seed)
        if limit > 0 && limit < train.count { train = try train.subset(Array(0..<limit)) }
        let spec = model
        let optimizer = try SGD(learningRate: lr, momentum: momentum)
        var trainer = Trainer(model: try Model(spec: spec, seed: seed), optimizer: optimizer, seed: seed)
        if !json {
            print("\(spec.name): \(trainer.model.parameters.scalarCount) parameters; \(train.count) training images, batch \(batch), lr \(lr), \(ThreadPool.shared.threadCount) threads")
        }
        // Evaluation batches stay under the allocator's 32 MiB mmap threshold (see AllocatorTuning).
        let evaluationBatch = 256
        var final = Evaluation(loss: .nan, accuracy: .nan, count: 0)
        for epoch in 1...epochs {
            let epochStart = Date()
            let batches = try Batches(train, batchSize: batch, shuffleSeed: seed &+ UInt64(epoch))
            var bar = ProgressBar(total: train.count, label: "epoch \(epoch)/\(epochs)", enabled: !quiet && !json)
            var runningLoss: Float = .nan
            let meanLoss = try trainer.train(batches) { samples, loss in
                runningLoss = runningLoss.isNaN ? loss : 0.98 * runningLoss + 0.02 * loss
                bar.advance(by: samples, detail: String(format: "loss %.4f", runningLoss))
            }
            bar.finish()
            let seconds = Date().timeIntervalSince(epochStart)
            let evaluation = try trainer.model.evaluate(Batches(test, batchSize: evaluationBatch))
            final = evaluation
            if json {
                printJSONLine(["epoch": epoch, "train_loss": meanLoss, "test_loss": evaluation.loss,
                               "test_accuracy": evaluation.accuracy, "epoch_seconds": seconds,
                               "samples_per_s": Double(train.count) / seconds])
            } else {
                print(String(format: "epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.1f s (%.0f samples/s)",
                             epoch, meanLoss, evaluation.loss, evaluation.accuracy * 100, seconds, Double(train.count) / seconds))
            }
        }
        let url = URL(fileURLWithPath: checkpoint)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Checkpoint(parameters: trainer.model.parameters, optimizer: trainer.optimizer.state,
                       metadata: ["model": spec.name, "epochs": String(epochs), "seed": String(seed)]).write(to: url)
        let total = Date().timeIntervalSince(started)
        if json {
            printJSONLine(["model": spec.name, "test_accuracy": final.accuracy, "test_loss": final.loss,
                           "seconds": total, "checkpoint": url.path])
        } else {
            print(String(format: "test accuracy %.2f%% (loss %.4f) on %d images after %d epoch(s), %.1f s; weights in %@",
                         final.accuracy * 100, final.loss, final.count, epochs, total, url.path))
        }
    }
}
