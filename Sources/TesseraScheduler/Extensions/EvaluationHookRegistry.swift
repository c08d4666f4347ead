import TesseraNN

/// Your own evaluation of the global model: given the model's parameters and the round (or
/// asynchronous report) it follows, the figures to record beside the test-set evaluation.
public typealias EvaluationHook = @Sendable (_ model: ParameterSet, _ round: Int) throws -> [String: Double]

/// Evaluation hooks a program of one's own adds by name: a topology's
/// `training.evaluation_hook: NAME` (or `--evaluation-hook NAME`) then runs it after every round,
/// in every command of that program, as ``FederatedScheduler/evaluationHook`` does in code.
///
/// ```swift
/// try EvaluationHookRegistry.register("weight-norm") { settings in
///     { model, round in ["weightNorm": model.l2Norm()] }
/// }
/// ```
public enum EvaluationHookRegistry {
    /// Makes the hook for a run's settings.
    public typealias Factory = @Sendable (RunSettings) throws -> EvaluationHook

    /// The setting's value for no hook of one's own.
    public static let none = "none"

    static let store = NamedFactories<Factory>(key: "training.evaluation_hook", builtIn: [none])

    /// Registers `make` under `name`, replacing an earlier registration of it.
    ///
    /// - Throws: ``SettingError`` for a name that is empty or `none`.
    public static func register(_ name: String, _ make: @escaping Factory) throws { try store.register(name, make) }

    /// The registered names, sorted.
    public static var names: [String] { store.names }
}
