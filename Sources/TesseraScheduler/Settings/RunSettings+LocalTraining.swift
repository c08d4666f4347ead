import Foundation

extension RunSettings {
    /// The optimizer each worker trains with (`training.optimizer`), fresh every task.
    public enum LocalOptimizer: String, Sendable, CaseIterable {
        /// SGD with `training.momentum` and L2 `training.weight_decay`.
        case sgd
        /// Adam with L2 `training.weight_decay`.
        case adam
        /// AdamW: Adam with `training.weight_decay` decoupled from the gradient.
        case adamw
    }

    /// How the local learning rate changes over the rounds (`training.lr_schedule`).
    public enum LearningRateSchedule: String, Sendable, CaseIterable {
        /// `training.lr` every round.
        case constant
        /// `training.lr` times `training.lr_gamma` for every `training.lr_step_rounds` rounds done.
        case step
        /// From `training.lr` in round 1 to `training.lr_min` in the last, along half a cosine.
        case cosine
    }

    /// The local learning rate of round (or server step) `round`, counted from 1.
    public func learningRate(round: Int) -> Double {
        let done = max(0, round - 1)
        switch learningRateSchedule {
        case .constant:
            return learningRate
        case .step:
            return learningRate * Foundation.pow(learningRateGamma, Double(done / learningRateStepRounds))
        case .cosine:
            guard rounds > 1 else { return learningRate }
            let progress = min(1, Double(done) / Double(rounds - 1))
            return learningRateMinimum + (learningRate - learningRateMinimum) * (1 + Foundation.cos(Double.pi * progress)) / 2
        }
    }

    /// Checks that the local training settings fit together.
    ///
    /// - Throws: ``SettingError`` naming the key at fault.
    func validateLocalTraining() throws {
        if momentum > 0 && optimizer != .sgd {
            throw SettingError(key: "training.momentum", value: String(momentum),
                               message: "must be 0 unless training.optimizer is sgd (\(optimizer.rawValue) keeps its own moments, betas 0.9 and 0.999)")
        }
        if learningRateSchedule == .cosine && learningRateMinimum > learningRate {
            throw SettingError(key: "training.lr_min", value: String(learningRateMinimum),
                               message: "must be at most training.lr (\(learningRate)), from which the cosine schedule falls to it")
        }
    }
}
