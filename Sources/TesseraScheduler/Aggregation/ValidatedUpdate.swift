import TesseraNN
import TesseraTensor
import TesseraWire

/// A worker's update that can be aggregated: checked once, on arrival, against the global
/// model it answers. Strategies take these, never wire messages.
public struct ValidatedUpdate: Sendable {
    /// What a worker's update holds.
    public enum Content: Sendable {
        /// Its model.
        case model(ParameterSet)
        /// Its change from `base` (the global model it trained from), kept as it came (a
        /// bfloat16 one in its two bytes a value) until the round's average adds it to `base`.
        case change(ParameterSet, base: ParameterSet)
    }

    /// The worker that sent it.
    public let workerID: String
    /// Its model, or its change kept as it came; named and shaped like the global model.
    public let content: Content
    /// Training samples behind it (its FedAvg weight), at least 1.
    public let sampleCount: UInt64
    /// The metrics it reported that are finite numbers (`loss`: its mean training loss).
    public let metrics: [String: Double]
    /// The norm of its change from the model it trained from (what `training.max_change_ratio`
    /// judges), measured while it was checked; nil when the caller did the checks or left the
    /// measuring for later.
    public let changeNorm: Double?

    /// The worker's model: the one it sent, or its change added to the model it trained from
    /// (each value added in Float, as the round's average adds it). Every value is finite once
    /// its change is measured (a synchronous round measures it when it closes, and never
    /// aggregates one that is not).
    ///
    /// - Throws: ``/TesseraNN/NNError`` never for an update checked on arrival (its change
    ///   matches its base).
    public var parameters: ParameterSet {
        get throws {
            switch content {
            case let .model(model):
                return model
            case let .change(change, base):
                var model = base
                try model.add(change, scaledBy: 1)
                return model
            }
        }
    }

    /// An update whose checks were done by the caller (tests, simulations).
    public init(workerID: String, parameters: ParameterSet, sampleCount: UInt64, metrics: [String: Double] = [:],
                changeNorm: Double? = nil) {
        self.init(workerID: workerID, content: .model(parameters), sampleCount: sampleCount, metrics: metrics, changeNorm: changeNorm)
    }

    private init(workerID: String, content: Content, sampleCount: UInt64, metrics: [String: Double], changeNorm: Double?) {
        self.workerID = workerID
        self.content = content
        self.sampleCount = sampleCount
        self.metrics = metrics.filter { $0.value.isFinite }
        self.changeNorm = changeNorm
    }

    /// The norm of its change from `base`: ``changeNorm`` when known, else measured (a change
    /// kept as it came: its own norm, as the round's average measures it).
    ///
    /// - Throws: ``/TesseraNN/NNError`` when `base` is named or shaped otherwise.
    public func changeNorm(from base: ParameterSet) throws -> Double {
        if let changeNorm { return changeNorm }
        switch content {
        case let .model(model): return try model.distance(to: base)
        case let .change(change, _): return change.squaredChangeNorm.squareRoot()
        }
    }

    /// `update` from `workerID` checked against `global`, or why it cannot be used. With
    /// `measuringChange` false, the change is left to measure, and the values to check, when
    /// the round's updates are averaged (``FederatedAveraging``
    /// `aggregate(_:measuringChangesFrom:)`): each is read once, not twice; a change (a delta
    /// update) is then kept as it came.
    ///
    /// - Throws: ``SchedulerError`` (`.unusableUpdate`): no samples, a loss metric that is not
    ///   finite, names or shapes that differ from the global model, a value that is not finite
    ///   (when measured), or a batch normalization's running variance below 0.
    public init(_ update: TrainUpdate, from workerID: String, global: ParameterSet, measuringChange: Bool = true) throws {
        guard update.sampleCount > 0 else { throw SchedulerError.unusableUpdate(worker: workerID, reason: "it claims no samples") }
        // The round's training loss is weighted from these: one NaN would make it NaN.
        if let loss = update.metrics["loss"], !loss.isFinite {
            throw SchedulerError.unusableUpdate(worker: workerID, reason: "its loss metric is \(loss), not a finite number")
        }
        var parameters: ParameterSet
        do {
            parameters = try update.parameters()
            try global.checkCompatible(with: parameters, operation: "update")
        } catch {
            throw SchedulerError.unusableUpdate(worker: workerID, reason: "\(error)")
        }
        if update.isDelta && !measuringChange {
            try Self.checkVariances(of: workerID, names: parameters.names) { name in
                guard let base = global[name], let change = parameters[name] else { return nil }
                return try base.adding(change)
            }
            self.init(workerID: workerID, content: .change(parameters, base: global), sampleCount: update.sampleCount,
                      metrics: update.metrics, changeNorm: nil)
            return
        }
        // One pass measures the change and checks every value: the norm is finite exactly when
        // every value is. A delta is always measured: its change is what arrived.
        let changeNorm = try update.isDelta ? parameters.squaredChangeNorm.squareRoot()
            : measuringChange ? parameters.distance(to: global) : nil
        if let changeNorm, !changeNorm.isFinite {
            throw SchedulerError.unusableUpdate(worker: workerID, reason: "it holds values that are not finite")
        }
        if update.isDelta {
            try parameters.add(global, scaledBy: 1)
            // A finite change can overflow once the model is added back.
            guard parameters.l2Norm().isFinite else {
                throw SchedulerError.unusableUpdate(worker: workerID, reason: Self.overflowed)
            }
        }
        try Self.checkVariances(of: workerID, names: parameters.names) { parameters[$0] }
        self.init(workerID: workerID, content: .model(parameters), sampleCount: update.sampleCount, metrics: update.metrics,
                  changeNorm: changeNorm)
    }

    /// Why a change whose model is not finite cannot be used.
    static let overflowed = "its change added to the global model is not finite"

    /// Throws when a batch normalization's running variance among `names` (its values in the
    /// worker's model from `value`) holds a value below 0, which would make every evaluation
    /// with it NaN.
    private static func checkVariances(of workerID: String, names: [String], _ value: (String) throws -> Tensor?) throws {
        for name in names where BatchNorm.isVariance(name) {
            guard let variance = try value(name), variance.scalars.contains(where: { $0 < 0 }) else { continue }
            throw SchedulerError.unusableUpdate(worker: workerID, reason: "its \(name) holds negative variances")
        }
    }
}
