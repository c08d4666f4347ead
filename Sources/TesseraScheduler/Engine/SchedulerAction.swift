import TesseraNN
import TesseraTransport

/// What the scheduler's state machine asks its driver to do.
public enum SchedulerAction: Sendable {
    /// Send these frames to this peer (the same encoded task goes to every sampled worker).
    case send(EncodedMessage, to: PeerID)
    /// Registration's (or joining's) progress, every tenth of a run of more than a hundred workers.
    case registered(RegistrationProgress)
    /// A round's progress: updates accepted so far out of the workers sampled.
    case progress(round: Int, accepted: Int, sampled: Int)
    /// Evaluate these parameters (the model after round or server step `round`) on the test set,
    /// away from the message loop, and hand the result to ``SchedulerMachine/evaluated(_:)``;
    /// evaluations are answered in the order they were asked for.
    case evaluate(ParameterSet, round: Int)
    /// A private round's noised model was made: record what the run has spent now (the
    /// ``PrivacyBudget``'s record), durably and before any later action, since those may release
    /// that model (a held-out evaluation task, the next round's train task). A run killed after a
    /// release then resumes counting it.
    case commitPrivacy([String: String])
    /// A round is over: append its result to the metrics, then write the checkpoint.
    case roundCompleted(RoundResult, checkpoint: Checkpoint)
    /// The run is over; every worker was told so.
    case finished
    /// The run cannot go on.
    case fail(SchedulerError)
}
