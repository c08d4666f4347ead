import Foundation

/// How much an update trained on an older model counts, by its staleness: how many server
/// steps the global model took between the version the worker trained from and the one the
/// update is applied to (Xie et al. 2019, FedAsync §5.2; FedBuff's default, 1/√(1 + τ), is the
/// polynomial with exponent 1/2).
public enum StalenessFunction: Sendable, Equatable {
    /// Every update counts fully: s(τ) = 1.
    case constant
    /// s(τ) = (τ + 1)^−a.
    case polynomial(exponent: Double)
    /// s(τ) = 1 for τ ≤ b, else 1 / (a·(τ − b) + 1).
    case hinge(slope: Double, threshold: Double)

    /// The weight of an update `staleness` steps old, in (0, 1].
    public func weight(_ staleness: Int) -> Double {
        let tau = Double(max(0, staleness))
        switch self {
        case .constant: return 1
        case let .polynomial(exponent): return pow(tau + 1, -exponent)
        case let .hinge(slope, threshold): return tau <= threshold ? 1 : 1 / (slope * (tau - threshold) + 1)
        }
    }
}
