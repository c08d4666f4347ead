/// Why a federated run cannot go on, or why one worker's message was not used. Each case
/// carries the facts; `description` is a sentence saying what to change.
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A setting that cannot work (the sentence names it and what is allowed).
    case invalidConfiguration(String)
    /// A strategy name that is not known.
    case unknownStrategy(String, known: [String])
    /// Fewer workers than expected registered before the registration timeout (and so many
    /// connections were refused at the handshake meanwhile).
    case tooFewWorkers(registered: Int, expected: Int, seconds: Double, refusedHandshakes: Int = 0)
    /// A worker answered its welcome with an error.
    case joinFailed(worker: String, reason: String)
    /// Workers were welcomed but did not answer in time.
    case joinTimedOut(workers: [String])
    /// No worker was left to train round `round`.
    case everyWorkerLost(round: Int, heartbeatTimeout: Double)
    /// The first round got no update at all: nothing is learning.
    case noUpdates(round: Int, sampled: Int, deadline: Double, refusals: [String] = [])
    /// Ctrl-C or SIGTERM during `phase`.
    case interrupted(phase: String)
    /// The checkpoint to resume from cannot be used.
    case badCheckpoint(path: String, reason: String)
    /// Strategy state in a checkpoint that the strategy cannot restore.
    case badStrategyState(String)
    /// A worker's update that cannot be aggregated (it is dropped; the run goes on).
    case unusableUpdate(worker: String, reason: String)
    /// A worker's secure aggregation step that cannot be used (the worker is left out of the
    /// round's sum; the round goes on if enough others remain).
    case unusableStep(worker: String, step: String, reason: String)
    /// Aggregation was asked for with no updates.
    case nothingToAggregate
    /// A run file (metrics, checkpoint) could not be written: a full disk, permissions.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(sentence): sentence
        case let .unknownStrategy(name, known): "unknown strategy '\(name)'; one of \(known.joined(separator: ", "))"
        case let .tooFewWorkers(registered, expected, seconds, refused) where refused > 0:
            "only \(registered) of \(expected) workers registered within \(seconds) s; \(refused) connection(s) were refused at the handshake (a key not in the key directory, or a worker without --keys: see the warnings above)"
        case let .tooFewWorkers(registered, expected, seconds, _):
            "only \(registered) of \(expected) workers registered within \(seconds) s (are they started, and pointed at this scheduler's address?)"
        case let .joinFailed(worker, reason): "worker \(worker) could not join: \(reason)"
        case let .joinTimedOut(workers): "workers \(workers.joined(separator: ", ")) did not finish joining in time (silent, or gone), and too few joined for training.quorum"
        case let .everyWorkerLost(round, timeout): "round \(round): every worker is lost (no message for \(timeout) s)"
        case let .noUpdates(round, sampled, deadline, refusals):
            "round \(round) received no usable update from \(sampled) workers within \(deadline) s"
                + (refusals.isEmpty ? "" : "; the updates that came were refused: " + refusals.joined(separator: "; "))
        case let .interrupted(phase): "interrupted \(phase)"
        case let .badCheckpoint(path, reason): "cannot resume from \(path): \(reason)"
        case let .badStrategyState(sentence): sentence
        case let .unusableUpdate(worker, reason): "update from \(worker) cannot be used: \(reason)"
        case let .unusableStep(worker, step, reason): "\(step) from \(worker) cannot be used: \(reason)"
        case .nothingToAggregate: "cannot aggregate: no updates"
        case let .writeFailed(path, reason): "cannot write \(path): \(reason)"
        }
    }
}
