import TesseraNN

extension TrainTask {
    /// A task carrying `parameters` as its weights.
    public init(round: UInt64, modelVersion: UInt64, hyperparameters: String, parameters: ParameterSet) {
        self.init(round: round, modelVersion: modelVersion, hyperparameters: hyperparameters,
                  weights: parameters.entries.map { NamedTensor(name: $0.name, tensor: $0.tensor) })
    }

    /// The weights as a parameter set.
    ///
    /// - Throws: ``NNError`` when a name repeats.
    public func parameters() throws -> ParameterSet {
        try ParameterSet(weights.map { (name: $0.name, tensor: $0.tensor) })
    }
}

extension EvaluateTask {
    /// A task carrying `parameters` as its weights.
    public init(round: UInt64, parameters: ParameterSet) {
        self.init(round: round, weights: parameters.entries.map { NamedTensor(name: $0.name, tensor: $0.tensor) })
    }

    /// The weights as a parameter set.
    ///
    /// - Throws: ``NNError`` when a name repeats.
    public func parameters() throws -> ParameterSet {
        try ParameterSet(weights.map { (name: $0.name, tensor: $0.tensor) })
    }
}

extension TrainUpdate {
    /// The weights (or delta) as a parameter set.
    ///
    /// - Throws: ``NNError`` when a name repeats.
    public func parameters() throws -> ParameterSet {
        try ParameterSet(weights.map { (name: $0.name, tensor: $0.tensor) })
    }
}
