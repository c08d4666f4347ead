import TesseraNN

/// A message body that carries model weights as named tensors.
public protocol CarriesWeights {
    /// The weights (or, for a delta update, their change).
    var weights: [NamedTensor] { get }
}

extension CarriesWeights {
    /// The weights as a parameter set.
    ///
    /// - Throws: ``/TesseraNN/NNError`` when a name repeats.
    public func parameters() throws -> ParameterSet {
        try ParameterSet(weights.map { (name: $0.name, tensor: $0.tensor) })
    }
}

extension ParameterSet {
    /// The entries as named tensors, in order (a message's weights).
    public var namedTensors: [NamedTensor] {
        entries.map { NamedTensor(name: $0.name, tensor: $0.tensor) }
    }
}

extension TrainTask: CarriesWeights {
    /// A task carrying `parameters` as its weights.
    public init(round: UInt64, modelVersion: UInt64, hyperparameters: String, parameters: ParameterSet) {
        self.init(round: round, modelVersion: modelVersion, hyperparameters: hyperparameters, weights: parameters.namedTensors)
    }
}

extension EvaluateTask: CarriesWeights {
    /// A task carrying `parameters` as its weights.
    public init(round: UInt64, parameters: ParameterSet) {
        self.init(round: round, weights: parameters.namedTensors)
    }
}

extension TrainUpdate: CarriesWeights {}
