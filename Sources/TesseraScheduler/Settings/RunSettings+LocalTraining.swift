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

    /// How workers send their updates (`training.update_precision`).
    public enum UpdatePrecision: String, Sendable, CaseIterable {
        /// Their models, in float32.
        case float32
        /// Their changes from the round's model, rounded to bfloat16: half the bytes, each
        /// value within a relative 2⁻⁸ of what it was.
        case bfloat16
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
        let shared = Set(model.bufferNames).subtracting(localNormalization.names(in: model))
        if localNormalization != .none && model.bufferCount == 0 {
            throw SettingError(key: "training.fedbn", message: "is \(localNormalization.rawValue), which needs a model with batchnorm layers; \(model.name) has none")
        }
        if (noiseMultiplier > 0 || localNoise > 0) && !shared.isEmpty {
            throw SettingError(key: "training.fedbn",
                               message: "must be statistics or all when privacy adds noise to a model with batchnorm: noise on shared running variances would make them negative; keep them on the clients (or use groupnorm)")
        }
        if learningRateSchedule == .cosine && learningRateMinimum > learningRate {
            throw SettingError(key: "training.lr_min", value: String(learningRateMinimum),
                               message: "must be at most training.lr (\(learningRate)), from which the cosine schedule falls to it")
        }
    }
}
