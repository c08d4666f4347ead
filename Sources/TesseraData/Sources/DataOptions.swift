/// How a run reads its data beyond where it is (`data.*` in a topology; sent to every worker in
/// its welcome, so that all read it alike): the declared normalization, how a file without a
/// test split gives one, the smallest natural client kept, and a CSV's columns.
public struct DataOptions: Codable, Sendable, Equatable {
    /// Most classes a label may name (a label of 10⁹ is a mistake, not a class).
    public static let maximumClasses: Int64 = 1_000_000

    /// The declared scale (`data.normalize.scale`); nil: the source's (255 for bytes that are
    /// pixels, else 1).
    public var normalizeScale: Double?
    /// The declared mean, one or one per channel (`data.normalize.mean`).
    public var normalizeMean: [Double]?
    /// The declared deviation, one or one per channel (`data.normalize.std`).
    public var normalizeStd: [Double]?
    /// The share of a file's samples (a seeded pick) that becomes the scheduler's test set when
    /// the file has no `x_test`/`y_test`.
    public var testFraction: Double
    /// Natural clients with fewer samples than this are dropped; the smallest power-law share.
    public var minimumClientSamples: Int
    /// The power-law partition's exponent (``/TesseraData/PowerLawShares``).
    public var sizeExponent: Double
    /// A CSV's label column.
    public var labelColumn: String
    /// A CSV's client column; nil: `client` when there is one.
    public var clientColumn: String?

    /// Options; the defaults are the documented ones.
    public init(normalizeScale: Double? = nil, normalizeMean: [Double]? = nil, normalizeStd: [Double]? = nil,
                testFraction: Double = 0.1, minimumClientSamples: Int = 10, sizeExponent: Double = 1.5, labelColumn: String = "label",
                clientColumn: String? = nil) {
        self.normalizeScale = normalizeScale
        self.normalizeMean = normalizeMean
        self.normalizeStd = normalizeStd
        self.testFraction = testFraction
        self.minimumClientSamples = minimumClientSamples
        self.sizeExponent = sizeExponent
        self.labelColumn = labelColumn
        self.clientColumn = clientColumn
    }

    enum CodingKeys: String, CodingKey {
        case normalizeScale, normalizeMean, normalizeStd, testFraction, minimumClientSamples, sizeExponent, labelColumn, clientColumn
    }

    /// Decodes options; any key may be absent (its default).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DataOptions()
        normalizeScale = try container.decodeIfPresent(Double.self, forKey: .normalizeScale)
        normalizeMean = try container.decodeIfPresent([Double].self, forKey: .normalizeMean)
        normalizeStd = try container.decodeIfPresent([Double].self, forKey: .normalizeStd)
        testFraction = try container.decodeIfPresent(Double.self, forKey: .testFraction) ?? defaults.testFraction
        minimumClientSamples = try container.decodeIfPresent(Int.self, forKey: .minimumClientSamples) ?? defaults.minimumClientSamples
        sizeExponent = try container.decodeIfPresent(Double.self, forKey: .sizeExponent) ?? defaults.sizeExponent
        labelColumn = try container.decodeIfPresent(String.self, forKey: .labelColumn) ?? defaults.labelColumn
        clientColumn = try container.decodeIfPresent(String.self, forKey: .clientColumn)
    }

    /// The normalization to use over a source whose own is `own`: `own` when nothing is
    /// declared; else the declared parts, with `own`'s scale, mean 0 and deviation 1 for those
    /// left out (so `mean: 0.5, std: 0.5` over bytes means `(x/255 − 0.5)/0.5`, as torchvision's
    /// `ToTensor` then `Normalize` do).
    public func normalization(over own: Normalization) -> Normalization {
        guard normalizeScale != nil || normalizeMean != nil || normalizeStd != nil else { return own }
        return Normalization(scale: Float(normalizeScale ?? Double(own.scale)), mean: (normalizeMean ?? [0]).map { Float($0) },
                             standardDeviation: (normalizeStd ?? [1]).map { Float($0) })
    }
}
