import TesseraData

extension ClientConfiguration {
    /// The `Partition` this configuration names.
    public var partitionStrategy: Partition {
        switch partition {
        case .iid: .iid
        case .dirichlet: .dirichlet(alpha: alpha)
        case .shards: .labelShards(shardsPerClient: shardsPerClient)
        case .natural: .natural(minimumSamples: dataOptions.minimumClientSamples)
        case .powerLaw: .powerLaw(minimum: dataOptions.minimumClientSamples, exponent: dataOptions.sizeExponent)
        }
    }
}
