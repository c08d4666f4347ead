import TesseraNN
import TesseraWire

/// A worker's update that can be aggregated: checked once, on arrival, against the global
/// model it answers. Strategies take these, never wire messages.
public struct ValidatedUpdate: Sendable {
    /// The worker that sent it.
    public let workerID: String
    /// The worker's model (a delta update has the global model added already), named and
    /// shaped like the global model; every value finite once its change is measured (a
    /// synchronous round measures it when it closes, and never aggregates one that is not).
    public let parameters: ParameterSet
    /// Training samples behind it (its FedAvg weight), at least 1.
    public let sampleCount: UInt64
    /// The metrics it reported that are finite numbers (`loss`: its mean training loss).
    public let metrics: [String: Double]
    /// The norm of its change from the model it trained from (what `training.max_change_ratio`
    /// judges), measured while it was checked; nil when the caller did the checks or left the
    /// measuring for later.
    public let changeNorm: Double?

    /// An update whose checks were done by the caller (tests, simulations).
    public init(workerID: String, parameters: ParameterSet, sampleCount: UInt64, metrics: [String: Double] = [:],
                changeNorm: Double? = nil) {
        self.workerID = workerID
        self.parameters = parameters
        self.sampleCount = sampleCount
        self.metrics = metrics.filter { $0.value.isFinite }
        self.changeNorm = changeNorm
    }

    /// The norm of its change from `base`: ``changeNorm`` when known, else measured.
    ///
    /// - Throws: ``/TesseraNN/NNError`` when `base` is named or shaped otherwise.
    public func changeNorm(from base: ParameterSet) throws -> Double {
        try changeNorm ?? parameters.distance(to: base)
    }

    /// `update` from `workerID` checked against `global`, or why it cannot be used. With
    /// `measuringChange` false, a whole model's change is left to measure, and its values to
    /// check, when the round's updates are averaged (``FederatedAveraging``
    /// `aggregate(_:measuringChangesFrom:)`): each is read once, not twice.
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
        // One pass measures the change and checks every value: the norm is finite exactly when
        // every value is. A delta is always measured: its change is what arrived.
        let changeNorm = try update.isDelta ? parameters.l2Norm() : measuringChange ? parameters.distance(to: global) : nil
        if let changeNorm, !changeNorm.isFinite {
            throw SchedulerError.unusableUpdate(worker: workerID, reason: "it holds values that are not finite")
        }
        if update.isDelta {
            try parameters.add(global, scaledBy: 1)
            // A finite change can overflow once the model is added back.
            guard parameters.l2Norm().isFinite else {
                throw SchedulerError.unusableUpdate(worker: workerID, reason: "its change added to the global model is not finite")
            }
        }
        // A negative running variance would make every evaluation with it NaN.
        if let name = parameters.names.first(where: { BatchNorm.isVariance($0) && (parameters[$0]?.scalars.contains { $0 < 0 } ?? false) }) {
            throw SchedulerError.unusableUpdate(worker: workerID, reason: "its \(name) holds negative variances")
        }
        self.init(workerID: workerID, parameters: parameters, sampleCount: update.sampleCount, metrics: update.metrics,
                  changeNorm: changeNorm)
    }
}
