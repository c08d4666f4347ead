import Foundation
import TesseraTensor
import TesseraWire

/// A train or evaluate task that a ``ClientMachine`` hands its driver to run away from the
/// message loop (on its own thread, so heartbeats go on meanwhile).
public struct ClientTask: Sendable {
    /// The task as it came: `trainTask` or `evaluateTask`.
    public let message: Message
    /// The client's trainer: kept since its welcome, or made for this task from the data its
    /// process shares (a hosted client holds none while idle).
    let trainer: @Sendable () throws -> LocalTrainer

    /// Runs the task on the client's shard: its update or evaluation, or an error reply.
    public func run() -> Message {
        let result: Message
        switch message {
        case let .trainTask(task):
            do {
                result = .update(try trainer().train(task))
            } catch {
                result = .errorReply(for: WorkerError.taskFailed(kind: "training", round: task.round, reason: "\(error)"))
            }
        case let .evaluateTask(task):
            do {
                result = .evaluation(try trainer().evaluate(task))
            } catch {
                result = .errorReply(for: WorkerError.taskFailed(kind: "evaluation", round: task.round, reason: "\(error)"))
            }
        default:
            result = .errorReply(for: WorkerError.notAccepted(kind: message.kindName, worker: "this"))
        }
        return result
    }
}
