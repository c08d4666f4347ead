/// What of a model's batch normalization stays on each client (FedBN, Li et al. 2021): its
/// running statistics, its scale and shift, or both. Those entries are the client's own: it
/// trains from its own values of them each round and keeps them across rounds, its update
/// carries the global values back unchanged, and aggregation leaves the global ones as they
/// were. The rule of which entries these are lives here, for the worker and the scheduler both.
public enum LocalNormalization: String, Codable, Sendable, CaseIterable {
    /// Everything is federated (plain FedAvg of the running statistics too).
    case none
    /// Each client keeps its batch normalization's running mean and variance.
    case statistics
    /// Each client keeps its batch normalization's scale and shift (`weight`, `bias`).
    case affine
    /// Each client keeps both: FedBN as in the paper.
    case all

    /// Whether the running statistics stay on the clients (the global ones then mean nothing,
    /// and a global evaluation normalizes with each batch's statistics instead).
    public var keepsStatistics: Bool { self == .statistics || self == .all }

    /// The names of `spec`'s entries that stay on the clients.
    public func names(in spec: ModelSpec) -> Set<String> {
        guard self != .none else { return [] }
        // Each batch normalization's buffers name it: `<layer>.running_mean`, `<layer>.running_var`.
        let prefixes = spec.bufferNames.compactMap { name in
            name.hasSuffix(".running_mean") ? String(name.dropLast(".running_mean".count)) : nil
        }
        var names: Set<String> = []
        for prefix in prefixes {
            if keepsStatistics { names.formUnion(BatchNorm.bufferNames.map { "\(prefix).\($0)" }) }
            if self == .affine || self == .all { names.formUnion(["\(prefix).weight", "\(prefix).bias"]) }
        }
        return names
    }
}

extension ParameterSet {
    /// This set with the entries named in `names` taken from `other` (same names and shapes
    /// there).
    ///
    /// - Throws: ``NNError`` when `other` lacks one of them or its shape differs.
    public func replacing(_ names: Set<String>, from other: ParameterSet) throws -> ParameterSet {
        var result = self
        for name in names where self[name] != nil {
            guard let tensor = other[name] else { throw NNError(.parameterMismatch, "no parameter '\(name)' to take") }
            try result.replace(name, with: tensor)
        }
        return result
    }
}
