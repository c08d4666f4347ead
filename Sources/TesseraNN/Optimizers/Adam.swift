import Foundation
import TesseraTensor

/// Adam (Kingma & Ba) with PyTorch's defaults and bias correction; weight decay is added to the
/// gradient (L2, as `torch.optim.Adam`), or with `decoupledWeightDecay` taken from the weights
/// apart from the gradient (AdamW, Loshchilov & Hutter 2019: `p ← p·(1 − η·λ)` before the
/// step, as `torch.optim.AdamW`). Also Yogi (Zaheer et al. 2018), Adam with an additive
/// second-moment rule, and the variants adaptive federated optimizers use (Reddi et al. 2021:
/// no bias correction, the second moment starting at τ², ε = τ).
public struct Adam: Optimizer {
    /// How the second moment follows the squared gradient.
    public enum SecondMomentRule: String, Sendable {
        /// `v ← β₂v + (1−β₂)g²`.
        case adam
        /// `v ← v − (1−β₂)g²·sign(v − g²)`: v moves towards g² by at most (1−β₂)g² per step.
        case yogi
    }

    /// Learning rate.
    public var learningRate: Float
    /// Decay of the first moment.
    public var beta1: Float
    /// Decay of the second moment.
    public var beta2: Float
    /// Added to the denominator for stability.
    public var epsilon: Float
    /// Weight decay λ: L2 on the gradient, or decoupled (AdamW).
    public var weightDecay: Float
    /// Whether weight decay shrinks the weights directly (AdamW) instead of joining the gradient.
    public var decoupledWeightDecay: Bool
    /// The second-moment rule.
    public var rule: SecondMomentRule
    /// Whether the moments are divided by `1 − βᵗ` (Kingma & Ba; off in Reddi et al.).
    public var biasCorrection: Bool
    /// Where the second moment starts (0; Reddi et al. start it at τ²).
    public var initialSecondMoment: Float
    private var firstMoment: ParameterSet?
    private var secondMoment: ParameterSet?
    private var steps = 0

    /// An optimizer with the given settings.
    ///
    /// - Throws: ``NNError`` when a setting is out of range (betas in [0, 1), positive epsilon).
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
                decoupledWeightDecay: Bool = false, rule: SecondMomentRule = .adam, biasCorrection: Bool = true,
                initialSecondMoment: Float = 0) throws {
        guard learningRate >= 0, (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon > 0, weightDecay >= 0,
              initialSecondMoment >= 0 else {
            throw NNError(.invalidArgument, "Adam needs learning rate >= 0, betas in [0, 1), epsilon > 0, weight decay >= 0")
        }
        self.rule = rule
        self.biasCorrection = biasCorrection
        self.initialSecondMoment = initialSecondMoment
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet) throws {
        try parameters.checkCompatible(with: gradients, operation: "Adam step")
        var first = try firstMoment ?? zerosLike(parameters)
        var second = try secondMoment ?? filledLike(parameters, with: initialSecondMoment)
        try first.checkCompatible(with: parameters, operation: "Adam state")
        try second.checkCompatible(with: parameters, operation: "Adam state")
        steps += 1
        let correction1 = biasCorrection ? 1 - Float(Foundation.pow(Double(beta1), Double(steps))) : 1
        let correction2 = biasCorrection ? 1 - Float(Foundation.pow(Double(beta2), Double(steps))) : 1
        let (b1, b2, eps, rate, yogi) = (beta1, beta2, epsilon, learningRate, rule == .yogi)
        let (decay, shrink) = decoupledWeightDecay ? (Float(0), 1 - learningRate * weightDecay) : (weightDecay, Float(1))
        for index in parameters.tensors.indices {
            let gradient = gradients.tensors[index].scalars
            var m = first.tensors[index], v = second.tensors[index]
            var p = parameters.tensors[index]
            p.withMutableScalars { p in
                m.withMutableScalars { m in
                    v.withMutableScalars { v in
                        for i in p.indices {
                            let g = gradient[i] + decay * p[i]
                            p[i] *= shrink
                            m[i] = b1 * m[i] + (1 - b1) * g
                            let square = g * g
                            if yogi {
                                let difference = v[i] - square
                                v[i] -= (1 - b2) * square * (difference > 0 ? 1 : (difference < 0 ? -1 : 0))
                            } else {
                                v[i] = b2 * v[i] + (1 - b2) * square
                            }
                            let mHat = m[i] / correction1, vHat = v[i] / correction2
                            p[i] -= rate * mHat / (vHat.squareRoot() + eps)
                        }
                    }
                }
            }
            first.replace(at: index, with: m)
            second.replace(at: index, with: v)
            parameters.replace(at: index, with: p)
        }
        firstMoment = first
        secondMoment = second
    }

    private func zerosLike(_ set: ParameterSet) throws -> ParameterSet {
        try filledLike(set, with: 0)
    }

    private func filledLike(_ set: ParameterSet, with value: Float) throws -> ParameterSet {
        try ParameterSet(set.entries.map { (name: $0.name, tensor: try Tensor.full($0.tensor.shape, value: value)) })
    }

    public var state: OptimizerState {
        var buffers: [String: ParameterSet] = [:]
        if let firstMoment, let secondMoment {
            buffers = ["firstMoment": firstMoment, "secondMoment": secondMoment]
        }
        return OptimizerState(kind: "adam", step: steps, buffers: buffers)
    }

    public mutating func restore(_ state: OptimizerState) throws {
        try state.checkKind("adam", bufferNames: ["firstMoment", "secondMoment"])
        guard (state.buffers["firstMoment"] == nil) == (state.buffers["secondMoment"] == nil) else {
            throw NNError(.invalidOptimizerState, "Adam state needs both moments or neither")
        }
        steps = state.step
        firstMoment = state.buffers["firstMoment"]
        secondMoment = state.buffers["secondMoment"]
    }
}
