import Foundation
import TesseraNN
import TesseraScheduler
import TesseraWorker
import Yams

/// Reads a topology file: YAML with a fixed set of keys (unknown keys are errors, so typos do
/// not silently fall back to defaults), typed values, and checks that the values make sense.
/// Every error names the file, line and key.
public enum TopologyParser {
    /// The topology in `url`.
    ///
    /// - Throws: ``TopologyError``.
    public static func load(_ url: URL) throws -> Topology {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TopologyError(file: url.path, line: nil, key: nil, message: "cannot be read")
        }
        return try parse(text, file: url.path)
    }

    /// The topology in `text` (`file` names it in errors).
    ///
    /// - Throws: ``TopologyError``.
    public static func parse(_ text: String, file: String) throws -> Topology {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw TopologyError(file: file, line: nil, key: nil, message: "is empty")
            }
            root = node
        } catch let error as TopologyError {
            throw error
        } catch {
            throw TopologyError(file: file, line: nil, key: nil, message: "is not valid YAML: \(error)")
        }
        let reader = Reader(file: file)
        let top = try reader.mapping(root, path: "", allowed: ["name", "description", "scheduler", "workers", "data", "model", "training", "runs"])
        let scheduler = try reader.mapping(top["scheduler"], path: "scheduler", allowed: ["bind", "address"])
        let workers = try reader.mapping(top["workers"], path: "workers", allowed: ["count", "launch", "hosts", "binary", "directory", "threads", "ssh_options"])
        let data = try reader.mapping(top["data"], path: "data", allowed: ["source", "partition", "alpha", "shards_per_client", "held_out"])
        let training = try reader.mapping(top["training"], path: "training", allowed: [
            "mode", "rounds", "fraction", "min_workers", "local_epochs", "batch_size", "lr", "strategy", "deadline",
            "quorum", "seed", "max_concurrent_trainers", "mu", "server_lr", "server_momentum",
        ])

        let name = try reader.string(top["name"], "name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let modelName = try reader.string(top["model"], "model") ?? "mnist-cnn"
        guard let model = ModelSpec.builtIn[modelName] else {
            throw reader.error(top["model"], "model", "unknown model '\(modelName)'; built-in: \(ModelSpec.builtIn.keys.sorted().joined(separator: ", "))")
        }
        let workerCount = try reader.integer(workers["count"], "workers.count") ?? 1
        let launchName = try reader.string(workers["launch"], "workers.launch") ?? "local"
        guard let launch = Topology.Launch(rawValue: launchName) else {
            throw reader.error(workers["launch"], "workers.launch", "must be local or ssh, not '\(launchName)'")
        }
        let partitionName = try reader.string(data["partition"], "data.partition") ?? "iid"
        guard let partition = RunConfiguration.PartitionKind(rawValue: partitionName) else {
            throw reader.error(data["partition"], "data.partition", "must be iid, dirichlet or shards, not '\(partitionName)'")
        }
        let mode = try reader.string(training["mode"], "training.mode") ?? "sync"
        guard mode == "sync" else { throw reader.error(training["mode"], "training.mode", "only 'sync' is implemented so far") }
        let strategyName = try reader.string(training["strategy"], "training.strategy") ?? "fedavg"
        let strategy: StrategyChoice
        do {
            strategy = try StrategyChoice(
                name: strategyName,
                serverLearningRate: (try reader.number(training["server_lr"], "training.server_lr")).map(Float.init),
                serverMomentum: Float(try reader.number(training["server_momentum"], "training.server_momentum") ?? 0.9),
                mu: Float(try reader.number(training["mu"], "training.mu") ?? 0.01))
        } catch let error as SchedulerError {
            throw reader.error(training["strategy"], "training.strategy", error.description)
        }

        let topology = Topology(
            name: name,
            description: try reader.string(top["description"], "description") ?? "",
            schedulerBind: try reader.string(scheduler["bind"], "scheduler.bind") ?? "tcp://127.0.0.1:0",
            schedulerAddress: try reader.string(scheduler["address"], "scheduler.address"),
            workers: workerCount, launch: launch,
            hosts: try reader.strings(workers["hosts"], "workers.hosts") ?? [],
            remoteBinary: try reader.string(workers["binary"], "workers.binary") ?? "tessera",
            remoteDirectory: try reader.string(workers["directory"], "workers.directory"),
            sshOptions: try reader.strings(workers["ssh_options"], "workers.ssh_options") ?? [],
            threadsPerWorker: try reader.integer(workers["threads"], "workers.threads") ?? 0,
            data: try reader.string(data["source"], "data.source") ?? "auto",
            partition: partition,
            alpha: try reader.number(data["alpha"], "data.alpha") ?? 0.5,
            shardsPerClient: try reader.integer(data["shards_per_client"], "data.shards_per_client") ?? 2,
            heldOut: try reader.number(data["held_out"], "data.held_out") ?? 0,
            model: model,
            rounds: try reader.integer(training["rounds"], "training.rounds") ?? 3,
            fraction: try reader.number(training["fraction"], "training.fraction") ?? 1,
            minimumWorkers: try reader.integer(training["min_workers"], "training.min_workers") ?? 1,
            hyperparameters: Hyperparameters(
                epochs: try reader.integer(training["local_epochs"], "training.local_epochs") ?? 1,
                batchSize: try reader.integer(training["batch_size"], "training.batch_size") ?? 32,
                learningRate: Float(try reader.number(training["lr"], "training.lr") ?? 0.05),
                proximalMu: strategy.clientMu),
            deadline: try reader.number(training["deadline"], "training.deadline") ?? 600,
            quorum: try reader.integer(training["quorum"], "training.quorum") ?? 1,
            seed: UInt64(try reader.integer(training["seed"], "training.seed") ?? 1),
            maxConcurrentTrainers: try reader.integer(training["max_concurrent_trainers"], "training.max_concurrent_trainers") ?? 0,
            strategy: strategy,
            runsDirectory: try reader.string(top["runs"], "runs") ?? "runs")

        // Values that parse but cannot work.
        func check(_ condition: Bool, _ node: Node?, _ key: String, _ message: String) throws {
            if !condition { throw reader.error(node, key, message) }
        }
        try check(topology.workers >= 1, workers["count"], "workers.count", "must be at least 1")
        try check(topology.rounds >= 1, training["rounds"], "training.rounds", "must be at least 1")
        try check(topology.fraction > 0 && topology.fraction <= 1, training["fraction"], "training.fraction", "must be in (0, 1]")
        try check(topology.quorum >= 1 && topology.quorum <= topology.workers, training["quorum"], "training.quorum",
                  "must be between 1 and workers.count (\(topology.workers))")
        try check(topology.minimumWorkers >= 1 && topology.minimumWorkers <= topology.workers, training["min_workers"],
                  "training.min_workers", "must be between 1 and workers.count (\(topology.workers))")
        try check(topology.hyperparameters.epochs >= 1, training["local_epochs"], "training.local_epochs", "must be at least 1")
        try check(topology.hyperparameters.batchSize >= 1, training["batch_size"], "training.batch_size", "must be at least 1")
        try check(topology.hyperparameters.learningRate > 0, training["lr"], "training.lr", "must be positive")
        try check(topology.deadline > 0, training["deadline"], "training.deadline", "must be positive (seconds)")
        try check(topology.alpha > 0, data["alpha"], "data.alpha", "must be positive")
        try check(topology.shardsPerClient >= 1, data["shards_per_client"], "data.shards_per_client", "must be at least 1")
        try check(topology.heldOut >= 0 && topology.heldOut < 1, data["held_out"], "data.held_out", "must be in [0, 1)")
        try check(topology.threadsPerWorker >= 0, workers["threads"], "workers.threads", "must be 0 (automatic) or more")
        try check(topology.maxConcurrentTrainers >= 0, training["max_concurrent_trainers"], "training.max_concurrent_trainers",
                  "must be 0 (the number of cores) or more")
        try check(topology.launch == .local || !topology.hosts.isEmpty, workers["hosts"], "workers.hosts", "ssh launch needs at least one host")
        try check(topology.schedulerBind.hasPrefix("tcp://") || topology.schedulerBind.hasPrefix("ipc://"), scheduler["bind"],
                  "scheduler.bind", "must be a tcp:// or ipc:// endpoint")
        return topology
    }

    /// Typed access to YAML nodes with errors that carry the line and key.
    struct Reader {
        let file: String

        func error(_ node: Node?, _ key: String, _ message: String) -> TopologyError {
            TopologyError(file: file, line: node?.mark.map { $0.line }, key: key.isEmpty ? nil : key, message: message)
        }

        /// The entries of a mapping node (empty when absent), rejecting keys outside `allowed`.
        func mapping(_ node: Node?, path: String, allowed: Set<String>) throws -> [String: Node] {
            guard let node else { return [:] }
            guard let mapping = node.mapping else { throw error(node, path, "must be a mapping of keys to values") }
            var entries: [String: Node] = [:]
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? ""
                let fullKey = path.isEmpty ? key : "\(path).\(key)"
                guard allowed.contains(key) else {
                    throw error(keyNode, fullKey, "unknown key; allowed here: \(allowed.sorted().joined(separator: ", "))")
                }
                entries[key] = value
            }
            return entries
        }

        func string(_ node: Node?, _ key: String) throws -> String? {
            guard let node else { return nil }
            guard let value = node.scalar?.string else { throw error(node, key, "must be a string") }
            return value
        }

        func integer(_ node: Node?, _ key: String) throws -> Int? {
            guard let node else { return nil }
            guard let text = node.scalar?.string, let value = Int(text) else { throw error(node, key, "must be a whole number") }
            return value
        }

        func number(_ node: Node?, _ key: String) throws -> Double? {
            guard let node else { return nil }
            guard let text = node.scalar?.string, let value = Double(text), value.isFinite else { throw error(node, key, "must be a number") }
            return value
        }

        func strings(_ node: Node?, _ key: String) throws -> [String]? {
            guard let node else { return nil }
            guard let sequence = node.sequence else { throw error(node, key, "must be a list") }
            return try sequence.map { item in
                guard let value = item.scalar?.string else { throw error(item, key, "entries must be strings") }
                return value
            }
        }
    }
}
