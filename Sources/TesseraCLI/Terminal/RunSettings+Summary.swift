import TesseraScheduler

extension RunSettings {
    /// What the run will do, in one phrase for the launch's first line: "3 workers, mnist-2nn,
    /// iid, 2 rounds (C=1.0, E=1, B=32)" or "…, fedbuff: 10 server steps (K=5, E=1, B=32)",
    /// with ", evaluated every 10" when `training.evaluate_every` is more than 1.
    var summary: String {
        let common = "\(workers) workers, \(model.name), \(partition.rawValue)"
        let local = "E=\(localEpochs), B=\(batchSize)"
        let evaluated = evaluateEvery > 1 ? ", evaluated every \(evaluateEvery)" : ""
        switch mode {
        case .sync: return "\(common), \(rounds) rounds (C=\(fraction), \(local))\(evaluated)"
        case .fedasync: return "\(common), fedasync: \(rounds) server steps (α=\(asyncAlpha), \(staleness.rawValue) staleness, \(local))\(evaluated)"
        case .fedbuff: return "\(common), fedbuff: \(rounds) server steps (K=\(bufferSize), \(staleness.rawValue) staleness, \(local))\(evaluated)"
        }
    }
}
